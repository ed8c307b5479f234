# The HTTP proxy role: rules added by its author.
