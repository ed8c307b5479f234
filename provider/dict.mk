# rules added by their author.
