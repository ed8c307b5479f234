/*
 * Provider dictionaries: the YAML that describes one VNF type (CloudStack's
 * VNF framework format), loaded into validated structures.
 *
 *   name, description, general_info     who this dictionary is for
 *   connections                         how to reach the appliance
 *   healthchecks (or health_checks)     how to tell it is healthy
 *   bootstrap                           how to bring it up the first time
 *   services                            what it can be asked to do
 *
 * The reference for every key is docs/provider-dictionary.md; the JSON
 * Schema docs/provider-dictionary.schema.json describes the same format
 * for editors.
 *
 * Loading checks everything that can be checked without the appliance:
 * types, required keys, unknown keys (warnings, with a suggestion),
 * references between sections (connections, services, operations, data
 * fields), template syntax and the variables templates read, JSONPath
 * transforms and PCRE2 patterns.  Every problem goes to one struct diags,
 * each at file:line:column with its key path, so one run reports them all.
 *
 * Ownership: prov_dict_load() and prov_dict_parse() return a dictionary
 * the caller frees with prov_dict_free(); every pointer inside it is owned
 * by the dictionary and lives as long as it.  Lookup functions return
 * borrowed pointers.  prov_op_render() returns a request the caller frees
 * with prov_request_free(), which clears the secrets it may hold.
 */
#ifndef VB_PROVIDER_DICT_H
#define VB_PROVIDER_DICT_H

#include <stddef.h>

#include <jansson.h>

#include "common/diag.h"
#include "provider/template.h"
#include "provider/ydoc.h"

struct tpl;
struct schema;
struct jp_expr;
struct prov_service;
struct prov_op;

/* Defaults documented in docs/provider-dictionary.md. */
#define PROV_DEFAULT_TIMEOUT		30	/* connection, seconds */
#define PROV_DEFAULT_CHECK_TIMEOUT	10	/* health check, seconds */
#define PROV_DEFAULT_CHECK_INTERVAL	60	/* health check, seconds */
#define PROV_MAX_TIMEOUT		3600

/*
 * A string from the dictionary that may hold {{ }} tags.  tpl is the
 * compiled template, NULL when src has no tags (then src is used as is).
 */
struct prov_text {
	char		*src;		/* NULL when the key is absent */
	struct tpl	*tpl;
	int		 line;		/* of the YAML scalar */
	int		 column;
};

struct prov_header {
	char		*name;
	struct prov_text value;
};

enum prov_proto {
	PROV_PROTO_SSH = 1,
	PROV_PROTO_HTTP,
	PROV_PROTO_HTTPS,
};

enum prov_auth_kind {
	PROV_AUTH_NONE = 0,
	PROV_AUTH_BASIC,	/* username:password, Authorization: Basic */
	PROV_AUTH_BEARER,	/* Authorization: Bearer <token> */
	PROV_AUTH_API_KEY,	/* <header>: <token> */
	PROV_AUTH_FORM,		/* <field>=<token> in a form body (VyOS key=) */
	PROV_AUTH_LOGIN,	/* a login request gives a token (JSONPath),
				   sent as a header or a cookie */
};

struct prov_auth {
	enum prov_auth_kind kind;
	struct prov_text token;		/* bearer, api_key, form */
	char		*header;	/* api_key; default "X-API-Key" */
	char		*field;		/* form; default "key" */
	/* login */
	struct prov_text login_url;	/* absolute, or relative to the
					   connection */
	char		*login_method;	/* default POST */
	struct prov_text login_body;	/* NULL src: the username and password
					   as form fields */
	int		 login_body_ctx; /* enum tpl_ctx: JSON or FORM */
	char		*username_field; /* default "username" */
	char		*password_field; /* default "password" */
	char		*token_path;	/* JSONPath into the login response */
	struct jp_expr	*token_jp;
	char		*token_header;	/* default "Authorization" */
	char		*token_prefix;	/* default "Bearer " for Authorization */
	char		*token_cookie;	/* set: Cookie: <name>=<token> instead */
	int		 login_basic;	/* login_auth: basic: the connection's
					   username and password as Basic on
					   the login request */
};

struct prov_conn {
	char		*name;
	char		*type;		/* as written: ssh, http, https, or the
					   name of the connection it extends */
	enum prov_proto	 proto;		/* resolved through `type` */
	struct prov_text host;
	int		 port;		/* 0: the protocol's default */
	struct prov_text username;
	struct prov_text password;
	struct prov_text private_key;	/* ssh: the key itself, PEM */
	struct prov_text key_passphrase; /* ssh: for an encrypted key */
	/* https: SHA-256 of the server's public key (SubjectPublicKeyInfo),
	 * base64; ssh: the host key, "SHA256:..." */
	struct prov_text pinned_sha256;
	int		 timeout;	/* seconds */
	int		 verify_ssl;	/* 1 unless `verify_ssl: false` */
	struct prov_auth auth;
	struct prov_header *headers;
	size_t		 nheaders;
	int		 line;
	int		 column;
	int		 type_line;	/* of the `type` value */
	int		 type_column;
	/* which keys were written, for inheritance through `type` */
	unsigned int	 set;
};

enum prov_check_kind {
	PROV_CHECK_COMMAND = 1,	/* command (+ expected_output) over ssh */
	PROV_CHECK_HTTP,	/* method + url (+ expected_status) */
	PROV_CHECK_TCP,		/* a TCP connect to port */
	PROV_CHECK_OPERATION,	/* an operation of the dictionary */
};

/* A health check, and the shape of bootstrap's ready_test. */
struct prov_check {
	char		*name;
	enum prov_check_kind kind;
	char		*connection;	/* NULL: the default for the kind */
	const struct prov_conn *conn;	/* resolved, borrowed; may be NULL */
	struct prov_text command;
	struct prov_text expected_output; /* src NULL: any output will do */
	char		*method;	/* HTTP verb, upper case */
	struct prov_text url;
	int		*expected_status; /* NULL: any 2xx */
	size_t		 nexpected_status;
	int		 port;		/* tcp */
	char		*op_service;	/* operation: SERVICE.OPERATION */
	char		*op_name;
	int		 op_line, op_column;
	int		 timeout;
	int		 interval;
	int		 line;
	int		 column;
};

enum prov_netinit {
	PROV_NETINIT_NONE = 0,
	PROV_NETINIT_CONFIG_DRIVE,
	PROV_NETINIT_DHCP,
	PROV_NETINIT_STATIC,
};

struct prov_action {
	char		*service;
	char		*action;
	const struct prov_service *svc;	/* resolved, borrowed */
	const struct prov_op *op;	/* resolved, borrowed */
	json_t		*parameters;	/* strings are template sources;
					   NULL when absent */
	int		 line;
	int		 column;
};

struct prov_bootstrap {
	int		 present;
	enum prov_netinit network_init;
	struct prov_text userdata;
	struct prov_conn *initial_connection;	/* NULL when absent */
	struct prov_action *actions;
	size_t		 nactions;
	struct prov_check *ready_test;		/* NULL when absent */
};

enum prov_format {
	PROV_FORMAT_NONE = 0,	/* not given: the body is kept as text */
	PROV_FORMAT_JSON,
	PROV_FORMAT_CLI,
	PROV_FORMAT_XML,
	PROV_FORMAT_TEXT,
};

enum prov_xform_kind {
	PROV_XFORM_JSONPATH = 1,	/* format json */
	PROV_XFORM_REGEX,		/* format cli or text */
	PROV_XFORM_PARSER,		/* a named parser, parse_*; cli */
	PROV_XFORM_VALUE,		/* value: a template over the input */
};

struct prov_transform {
	char		*name;		/* the output field */
	char		*expr;
	enum prov_xform_kind kind;
	int		 first;		/* only the first match, as a value */
	struct prov_text value;		/* VALUE */
	int		 value_typed;	/* value is one tag: keeps its type */
	struct jp_expr	*jp;		/* JSONPATH */
	void		*re;		/* REGEX: a pcre2_code * */
	int		 line;
	int		 column;
};

struct prov_response {
	enum prov_format format;
	struct prov_transform *transform;
	size_t		 ntransform;
	char		*success_pattern;	/* NULL: none */
	void		*success_re;		/* pcre2_code * */
	char		**error_patterns;
	void		**error_re;		/* pcre2_code *, one each */
	size_t		 nerror_patterns;
	int		*expected_status;	/* NULL: any 2xx */
	size_t		 nexpected_status;
};

enum prov_callback_kind {
	PROV_CALLBACK_CLOUDSTACK = 1,	/* action: cloudstack-api */
	PROV_CALLBACK_HTTP,		/* method + url (+ body) */
};

struct prov_callback {
	enum prov_callback_kind kind;
	char		*action;	/* "cloudstack-api" or NULL */
	json_t		*parameters;	/* strings are template sources */
	char		*method;	/* HTTP verb, upper case */
	struct prov_text url;
	struct prov_header *headers;
	size_t		 nheaders;
	struct prov_text body;
	int		 body_json;	/* body was a YAML map or list */
	int		 line;
	int		 column;
};

enum prov_transport {
	PROV_TRANSPORT_HTTP = 1,
	PROV_TRANSPORT_SSH,
};

struct prov_op {
	char		*name;
	const struct prov_service *svc;	/* borrowed: the owner */
	char		**get_data;	/* field names; may be empty */
	size_t		 nget_data;
	int		 has_get_data;
	char		*method;	/* as written (verbs upper-cased) */
	enum prov_transport transport;
	char		*http_method;	/* HTTP: the verb sent */
	char		*connection;	/* as written, or NULL */
	const struct prov_conn *conn;	/* resolved, borrowed; may be NULL
					   for HTTP with an absolute url */
	struct prov_text url;
	struct prov_header *headers;
	size_t		 nheaders;
	struct prov_text body;
	int		 body_json;	/* body was a YAML map or list */
	int		 body_ctx;	/* enum tpl_ctx the body renders in */
	/*
	 * The command lines, compiled together as one template (one line
	 * per item) so that {{ if }} ... {{ end }} may span items.
	 */
	char		**commands;
	size_t		 ncommands;
	struct tpl	*commands_tpl;
	struct prov_response response;
	struct prov_callback *callback;	/* NULL when absent */
	char		**then;		/* operations of the service run
					   after this one succeeds */
	size_t		 nthen;
	int		 uses_index;	/* templates use get_data[N] */
	int		 line;
	int		 column;
};

struct prov_service {
	char		*name;
	struct schema	*schema;	/* NULL: no `data:` (free-form) */
	struct prov_op	*ops;
	size_t		 nops;
	size_t		*op_index;	/* private: ops sorted by name */
	int		 line;
	int		 column;
};

struct prov_dict {
	char		*file;
	char		*name;
	char		*description;
	char		*version;	/* general_info.version */
	char		*vendor;
	char		*author;
	int		 debug;
	json_t		*general_info;	/* every key, as scalars/arrays/objects */
	struct prov_conn *conns;
	size_t		 nconns;
	struct prov_check *checks;
	size_t		 nchecks;
	struct prov_bootstrap bootstrap;
	struct prov_service *services;
	size_t		 nservices;
	/* get_cs_data keys the templates read, sorted, unique */
	char		**cs_keys;
	size_t		 ncs_keys;
	/* private: sorted indexes for the lookups below */
	size_t		*conn_index;
	size_t		*service_index;
};

/*
 * Load and validate a dictionary file.  Problems go to d (diags_init'ed by
 * the caller with the file name).  Returns the dictionary when d has no
 * errors (warnings are fine), NULL otherwise.
 */
struct prov_dict *prov_dict_load(const char *path, struct diags *d);
/* The same from a buffer of len bytes; file names the source in messages. */
struct prov_dict *prov_dict_parse(const char *buf, size_t len,
	    const char *file, struct diags *d);
void	prov_dict_free(struct prov_dict *dict);

/* Lookups by name; NULL when absent.  Borrowed. */
const struct prov_service *prov_service_find(const struct prov_dict *dict,
	    const char *name);
const struct prov_op *prov_op_find(const struct prov_service *svc,
	    const char *name);
const struct prov_conn *prov_conn_find(const struct prov_dict *dict,
	    const char *name);

/* Is this cs-data or data field name a secret (password, token, key...)? */
int	prov_is_secret_name(const char *name);

/* What one operation would send. */
struct prov_request {
	enum prov_transport transport;
	const struct prov_conn *conn;	/* borrowed from the dictionary */
	char		*host;		/* rendered connection host, or NULL */
	char		*method;	/* HTTP verb */
	char		*url;
	char		**header_names;
	char		**header_values;
	size_t		 nheaders;
	char		*body;		/* NULL: no body */
	size_t		 bodylen;
	char		**commands;	/* SSH: one line each */
	size_t		 ncommands;
	json_t		*callback;	/* rendered callback, or NULL */
	json_t		*data;		/* validated input, defaults applied */
};

/*
 * Render operation op of dict: validate data (an object, or an array of
 * objects) against the service's schema, then render every template with
 * the environment {get_data, get_cs_data} and the context each value lands
 * in.  cs_data is an object (may be NULL).  With mask set, secret-like
 * cs-data and data fields render as "********" and Authorization-like
 * headers are replaced whole, for display.  Returns 0 and *out, or -1
 * with *cause (allocated, the caller frees), which for bad input lists
 * every bad field.
 */
/*
 * Render a dictionary text in ctx: src as written when it has no tags,
 * NULL when absent; on a template error, -1 with *cause "WHAT: ...".
 */
int	prov_text_render(const struct prov_text *t, enum tpl_ctx ctx,
	    json_t *env, const char *what, char **out, char **cause);
int	prov_op_render(const struct prov_dict *dict, const struct prov_op *op,
	    json_t *data, json_t *cs_data, int mask, struct prov_request **out,
	    char **cause);
void	prov_request_free(struct prov_request *req);

/*
 * application/x-www-form-urlencoded value of s (space as '+'); allocated,
 * the caller frees it.
 */
char	*prov_form_encode(const char *s);

#endif
