# The SSH jump host role: rules added by its author.
