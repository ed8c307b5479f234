# CLI transforms, CloudStack signing, HTTP executor: rules added by their author.
