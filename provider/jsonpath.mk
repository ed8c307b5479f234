# JSONPath (RFC 9535): rules added by its author.
