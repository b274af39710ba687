/*
 * test_ts_admin.c
 *    The index administration of es-test-server, answered as
 *    Elasticsearch answers it: settings (nested in a real node's key
 *    order, flat, filtered, reset by null, changed all or nothing),
 *    DELETE, alias reads and POST /_aliases (atomic, with ES 8.14's
 *    action_results), index templates, counts through aliases and
 *    patterns; and the bound of the request log.  ts_api_handle() is
 *    called directly and every body is compared exactly.
 *
 * Expected bodies are written with ` for " to keep them readable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "apitest.h"
#include "ts_reqlog.h"

#define JSON "application/json"

/* text with every ` turned into " (malloc'd). */
static char *
q(const char *text)
{
    char *s = strdup(text);

    assert_non_null(s);
    for (char *p = s; *p != '\0'; p++)
        if (*p == '`')
            *p = '"';
    return s;
}

/*
 * The body with the values of its creation dates and uuids replaced by
 * X and U, which vary from run to run.
 */
static void
mask(char *body)
{
    static const struct {
        const char *key;
        char letter;
    } keys[] = {{"\"creation_date\":\"", 'X'},
                {"\"index.creation_date\":\"", 'X'},
                {"\"uuid\":\"", 'U'},
                {"\"index.uuid\":\"", 'U'}};

    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        char *p = body;

        while ((p = strstr(p, keys[k].key)) != NULL) {
            char *v = p + strlen(keys[k].key);
            char *end = strchr(v, '"');

            assert_non_null(end);
            *v = keys[k].letter;
            memmove(v + 1, end, strlen(end) + 1);
            p = v + 1;
        }
    }
}

/* A request whose body (` for ") is JSON; NULL for none. */
static struct apitest_reply
req(struct ts_state *st, const char *method, const char *path,
    const char *query, const char *body)
{
    char *b = body != NULL ? q(body) : NULL;
    struct apitest_reply r =
        call(st, method, path, query, b ? JSON : NULL, b, b ? strlen(b) : 0);

    free(b);
    mask(r.body);
    return r;
}

/* Checks status and exact body (` for "), then frees. */
static void
want(struct apitest_reply r, int status, const char *body)
{
    char *b = q(body);

    expect(r, status, b);
    free(b);
}

static const char *const NOT_FOUND_X =
    "{`error`:{`root_cause`:[{`type`:`index_not_found_exception`,`reason`:"
    "`no such index [x]`,`resource.type`:`index_or_alias`,`resource.id`:`x`,"
    "`index_uuid`:`_na_`,`index`:`x`}],`type`:`index_not_found_exception`,"
    "`reason`:`no such index [x]`,`resource.type`:`index_or_alias`,"
    "`resource.id`:`x`,`index_uuid`:`_na_`,`index`:`x`},`status`:404}";

static const char *const ACK = "{`acknowledged`:true}";
static const char *const ACK8 = "{`acknowledged`:true,`errors`:false}";

/* ---- settings ---- */

static void
test_settings_as_created(void **unused)
{
    struct ts_state *st = new_state(TS_MODE_ES8);

    (void)unused;
    want(req(st, "PUT", "/idx", NULL, NULL), 200,
         "{`acknowledged`:true,`shards_acknowledged`:true,`index`:`idx`}");
    /* what ES 8 shows for an index made without settings, in its order */
    want(req(st, "GET", "/idx/_settings", NULL, NULL), 200,
         "{`idx`:{`settings`:{`index`:{`routing`:{`allocation`:{`include`:{"
         "`_tier_preference`:`data_content`}}},`number_of_shards`:`1`,"
         "`provided_name`:`idx`,`creation_date`:`X`,`number_of_replicas`:`1`,"
         "`uuid`:`U`,`version`:{`created`:`8512000`}}}}}");
    want(req(st, "GET", "/idx/_settings", "flat_settings=true", NULL), 200,
         "{`idx`:{`settings`:{`index.creation_date`:`X`,"
         "`index.number_of_replicas`:`1`,`index.number_of_shards`:`1`,"
         "`index.provided_name`:`idx`,"
         "`index.routing.allocation.include._tier_preference`:`data_content`,"
         "`index.uuid`:`U`,`index.version.created`:`8512000`}}}");
    /* unset is absent: an index none of whose settings match is left out */
    want(req(st, "GET", "/idx/_settings/index.refresh_interval", NULL, NULL),
         200, "{}");
    want(req(st, "GET", "/idx/_settings/index.number_of_*",
             "flat_settings=true", NULL),
         200,
         "{`idx`:{`settings`:{`index.number_of_replicas`:`1`,"
         "`index.number_of_shards`:`1`}}}");
    want(req(st, "GET", "/x/_settings", NULL, NULL), 404, NOT_FOUND_X);
    ts_state_free(st);

    /* OpenSearch writes how it replicates, and no data tier */
    st = new_state(TS_MODE_OPENSEARCH);
    want(req(st, "PUT", "/idx", NULL, NULL), 200,
         "{`acknowledged`:true,`shards_acknowledged`:true,`index`:`idx`}");
    want(req(st, "GET", "/idx/_settings", NULL, NULL), 200,
         "{`idx`:{`settings`:{`index`:{`replication`:{`type`:`DOCUMENT`},"
         "`number_of_shards`:`1`,`provided_name`:`idx`,`creation_date`:`X`,"
         "`number_of_replicas`:`1`,`uuid`:`U`,`version`:{`created`:"
         "`136387827`}}}}}");
    ts_state_free(st);
}

static void
test_settings_changed_and_reset(void **unused)
{
    struct ts_state *st = new_state(TS_MODE_ES8);
    char uuid[23];
    char text[1024];

    (void)unused;
    want(req(st, "PUT", "/idx", NULL, NULL), 200,
         "{`acknowledged`:true,`shards_acknowledged`:true,`index`:`idx`}");
    get_uuid(st, "idx", uuid);
    want(req(st, "PUT", "/idx/_settings", NULL,
             "{`index`:{`refresh_interval`:`-1`,`number_of_replicas`:0}}"),
         200, ACK);
    want(req(st, "GET", "/idx/_settings", NULL, NULL), 200,
         "{`idx`:{`settings`:{`index`:{`routing`:{`allocation`:{`include`:{"
         "`_tier_preference`:`data_content`}}},`refresh_interval`:`-1`,"
         "`number_of_shards`:`1`,`provided_name`:`idx`,`creation_date`:`X`,"
         "`number_of_replicas`:`0`,`uuid`:`U`,`version`:{`created`:"
         "`8512000`}}}}}");
    /* dotted keys without the index. prefix, and a value of each kind */
    want(req(st, "PUT", "/idx/_settings", NULL,
             "{`translog.durability`:`async`,`index.max_result_window`:500}"),
         200, ACK);
    want(req(st, "GET", "/idx/_settings/index.translog.*,*window",
             "flat_settings", NULL),
         200,
         "{`idx`:{`settings`:{`index.max_result_window`:`500`,"
         "`index.translog.durability`:`async`}}}");
    /* null resets: refresh_interval is gone, number_of_replicas is 1 */
    want(req(st, "PUT", "/idx/_settings", NULL,
             "{`index`:{`refresh_interval`:null,`number_of_replicas`:null,"
             "`translog.durability`:null,`max_result_window`:null}}"),
         200, ACK);
    want(req(st, "GET", "/idx/_settings", NULL, NULL), 200,
         "{`idx`:{`settings`:{`index`:{`routing`:{`allocation`:{`include`:{"
         "`_tier_preference`:`data_content`}}},`number_of_shards`:`1`,"
         "`provided_name`:`idx`,`creation_date`:`X`,`number_of_replicas`:`1`,"
         "`uuid`:`U`,`version`:{`created`:`8512000`}}}}}");
    /* all or nothing: a bad value leaves the good one unapplied */
    want(req(st, "PUT", "/idx/_settings", NULL,
             "{`refresh_interval`:`5s`,`number_of_replicas`:`many`}"),
         400,
         "{`error`:{`root_cause`:[{`type`:`illegal_argument_exception`,"
         "`reason`:`Failed to parse value [many] for setting "
         "[index.number_of_replicas] must be >= 0`}],`type`:"
         "`illegal_argument_exception`,`reason`:`Failed to parse value [many] "
         "for setting [index.number_of_replicas] must be >= 0`},`status`:400}");
    want(req(st, "GET", "/idx/_settings/index.refresh_interval", NULL, NULL),
         200, "{}");
    /* a static setting of an open index */
    snprintf(text, sizeof(text),
             "{`error`:{`root_cause`:[{`type`:`illegal_argument_exception`,"
             "`reason`:`Can't update non dynamic settings "
             "[[index.number_of_shards]] for open indices [[idx/%s]]`}],"
             "`type`:`illegal_argument_exception`,`reason`:`Can't update non "
             "dynamic settings [[index.number_of_shards]] for open indices "
             "[[idx/%s]]`},`status`:400}",
             uuid, uuid);
    want(req(st, "PUT", "/idx/_settings", NULL, "{`number_of_shards`:2}"), 400,
         text);
    want(req(st, "PUT", "/idx/_settings", NULL, "{}"), 400,
         "{`error`:{`root_cause`:[{`type`:"
         "`action_request_validation_exception`,`reason`:`Validation Failed: "
         "1: no settings to update;`}],`type`:"
         "`action_request_validation_exception`,`reason`:`Validation Failed: "
         "1: no settings to update;`},`status`:400}");
    want(req(st, "PUT", "/x/_settings", NULL, "{`refresh_interval`:`1s`}"), 404,
         NOT_FOUND_X);
    ts_state_free(st);
}

/* ---- delete ---- */

/* PUT /name for each name, with no body. */
static void
create(struct ts_state *st, const char *const *names)
{
    char path[300];
    struct apitest_reply r;

    for (; *names != NULL; names++) {
        snprintf(path, sizeof(path), "/%s", *names);
        r = req(st, "PUT", path, NULL, NULL);
        assert_int_equal(r.status, 200);
        apitest_reply_free(&r);
    }
}

static void
test_delete(void **unused)
{
    static const char *const names[] = {"a1", "a2", "b", NULL};
    struct ts_state *st = new_state(TS_MODE_ES8);

    (void)unused;
    create(st, names);
    want(req(st, "POST", "/_aliases", NULL,
             "{`actions`:[{`add`:{`index`:`b`,`alias`:`al`}}]}"),
         200, ACK8);
    want(req(st, "DELETE", "/a1", NULL, NULL), 200, ACK);
    want(req(st, "HEAD", "/a1", NULL, NULL), 404, "");
    want(req(st, "DELETE", "/x", NULL, NULL), 404, NOT_FOUND_X);
    /* a list with a missing name deletes nothing */
    want(req(st, "DELETE", "/a2,x", NULL, NULL), 404, NOT_FOUND_X);
    want(req(st, "HEAD", "/a2", NULL, NULL), 200, "");
    /* ES 8: action.destructive_requires_name is true by default */
    want(req(st, "DELETE", "/a*", NULL, NULL), 400,
         "{`error`:{`root_cause`:[{`type`:`illegal_argument_exception`,"
         "`reason`:`Wildcard expressions or all indices are not allowed`}],"
         "`type`:`illegal_argument_exception`,`reason`:`Wildcard expressions "
         "or all indices are not allowed`},`status`:400}");
    want(req(st, "DELETE", "/_all", NULL, NULL), 400,
         "{`error`:{`root_cause`:[{`type`:`illegal_argument_exception`,"
         "`reason`:`Wildcard expressions or all indices are not allowed`}],"
         "`type`:`illegal_argument_exception`,`reason`:`Wildcard expressions "
         "or all indices are not allowed`},`status`:400}");
    /* an alias is not deleted as an index */
    want(req(st, "DELETE", "/al", NULL, NULL), 400,
         "{`error`:{`root_cause`:[{`type`:`illegal_argument_exception`,"
         "`reason`:`The provided expression [al] matches an alias, specify "
         "the corresponding concrete indices instead.`}],`type`:"
         "`illegal_argument_exception`,`reason`:`The provided expression [al] "
         "matches an alias, specify the corresponding concrete indices "
         "instead.`},`status`:400}");
    /* a comma list deletes every index, and the aliases on them go too */
    want(req(st, "DELETE", "/a2,b", NULL, NULL), 200, ACK);
    want(req(st, "GET", "/_alias/al", NULL, NULL), 404,
         "{`error`:`alias [al] missing`,`status`:404}");
    ts_state_free(st);

    /* ES 7 deletes what a pattern matches */
    st = new_state(TS_MODE_ES7);
    create(st, names);
    want(req(st, "DELETE", "/a*", NULL, NULL), 200, ACK);
    want(
        req(st, "GET", "/_settings/index.provided_name", "flat_settings", NULL),
        200, "{`b`:{`settings`:{`index.provided_name`:`b`}}}");
    ts_state_free(st);
}

/* ---- aliases ---- */

static void
test_alias_reads(void **unused)
{
    static const char *const names[] = {"i1", "i2", "i3", NULL};
    struct ts_state *st = new_state(TS_MODE_ES8);

    (void)unused;
    create(st, names);
    want(req(st, "POST", "/_aliases", NULL,
             "{`actions`:[{`add`:{`index`:`i1`,`alias`:`w`,"
             "`is_write_index`:true}},{`add`:{`indices`:[`i1`,`i2`],"
             "`alias`:`r`}}]}"),
         200, ACK8);
    want(req(st, "GET", "/_alias/r", NULL, NULL), 200,
         "{`i1`:{`aliases`:{`r`:{}}},`i2`:{`aliases`:{`r`:{}}}}");
    want(req(st, "GET", "/_alias/w", NULL, NULL), 200,
         "{`i1`:{`aliases`:{`w`:{`is_write_index`:true}}}}");
    want(req(st, "GET", "/i1/_alias", NULL, NULL), 200,
         "{`i1`:{`aliases`:{`r`:{},`w`:{`is_write_index`:true}}}}");
    want(req(st, "GET", "/i3/_alias", NULL, NULL), 200,
         "{`i3`:{`aliases`:{}}}");
    want(req(st, "GET", "/i2/_alias/w", NULL, NULL), 404,
         "{`error`:`alias [w] missing`,`status`:404}");
    want(req(st, "GET", "/_alias/nope", NULL, NULL), 404,
         "{`error`:`alias [nope] missing`,`status`:404}");
    /* what was found comes beside the error; names missing are sorted */
    want(req(st, "GET", "/_alias/zz,w,nope", NULL, NULL), 404,
         "{`error`:`aliases [nope,zz] missing`,`status`:404,`i1`:{`aliases`:"
         "{`w`:{`is_write_index`:true}}}}");
    /* a pattern that matches nothing is no error */
    want(req(st, "GET", "/_alias/q*", NULL, NULL), 200, "{}");
    want(req(st, "GET", "/_alias", NULL, NULL), 200,
         "{`i1`:{`aliases`:{`r`:{},`w`:{`is_write_index`:true}}},`i2`:{"
         "`aliases`:{`r`:{}}},`i3`:{`aliases`:{}}}");
    want(req(st, "HEAD", "/_alias/r", NULL, NULL), 200, "");
    want(req(st, "HEAD", "/_alias/nope", NULL, NULL), 404, "");
    want(req(st, "HEAD", "/i3/_alias/r", NULL, NULL), 404, "");
    want(req(st, "GET", "/x/_alias", NULL, NULL), 404, NOT_FOUND_X);
    /* PUT and DELETE of one alias */
    want(req(st, "PUT", "/i3/_alias/z", NULL, NULL), 200, ACK8);
    want(req(st, "GET", "/_alias/z", NULL, NULL), 200,
         "{`i3`:{`aliases`:{`z`:{}}}}");
    want(req(st, "DELETE", "/i3/_alias/z", NULL, NULL), 200, ACK8);
    want(req(st, "DELETE", "/i3/_alias/z", NULL, NULL), 404,
         "{`error`:{`root_cause`:[{`type`:`aliases_not_found_exception`,"
         "`reason`:`aliases [z] missing`,`resource.type`:`aliases`,"
         "`resource.id`:`z`}],`type`:`aliases_not_found_exception`,`reason`:"
         "`aliases [z] missing`,`resource.type`:`aliases`,`resource.id`:`z`},"
         "`status`:404}");
    ts_state_free(st);
}

static const char *const R_IN_I1 = "{`i1`:{`aliases`:{`r`:{}}}}";

static void
test_aliases_atomic(void **unused)
{
    static const char *const names[] = {"i1", "i2", NULL};
    struct ts_state *st = new_state(TS_MODE_ES8);

    (void)unused;
    create(st, names);
    want(req(st, "PUT", "/i1/_alias/r", NULL, NULL), 200, ACK8);
    /* an index that is not there: 404, and the remove before it undone */
    want(req(st, "POST", "/_aliases", NULL,
             "{`actions`:[{`remove`:{`index`:`i1`,`alias`:`r`}},{`add`:{"
             "`index`:`x`,`alias`:`r`}}]}"),
         404, NOT_FOUND_X);
    want(req(st, "GET", "/_alias/r", NULL, NULL), 200, R_IN_I1);
    /* must_exist on an alias that is not there: 404, nothing changes */
    want(req(st, "POST", "/_aliases", NULL,
             "{`actions`:[{`add`:{`index`:`i2`,`alias`:`s`}},{`remove`:{"
             "`index`:`i2`,`alias`:`r`,`must_exist`:true}}]}"),
         404,
         "{`error`:{`root_cause`:[{`type`:`aliases_not_found_exception`,"
         "`reason`:`aliases [r] missing`,`resource.type`:`aliases`,"
         "`resource.id`:`r`}],`type`:`aliases_not_found_exception`,`reason`:"
         "`aliases [r] missing`,`resource.type`:`aliases`,`resource.id`:`r`},"
         "`status`:404}");
    want(req(st, "HEAD", "/_alias/s", NULL, NULL), 404, "");
    /* an alias named as an index */
    want(req(st, "POST", "/_aliases", NULL,
             "{`actions`:[{`add`:{`index`:`i1`,`alias`:`i2`}}]}"),
         400,
         "{`error`:{`root_cause`:[{`type`:`invalid_alias_name_exception`,"
         "`reason`:`Invalid alias name [i2]: an index or data stream exists "
         "with the same name as the alias`}],`type`:"
         "`invalid_alias_name_exception`,`reason`:`Invalid alias name [i2]: "
         "an index or data stream exists with the same name as the alias`},"
         "`status`:400}");
    want(req(st, "GET", "/_alias/r", NULL, NULL), 200, R_IN_I1);
    ts_state_free(st);
}

static void
test_aliases_results(void **unused)
{
    static const char *const names[] = {"i1", "i2", "old", NULL};
    struct ts_state *st = new_state(TS_MODE_ES8);

    (void)unused;
    create(st, names);
    /* a remove of an alias that is not there fails alone (ES 8.14+) */
    want(req(st, "POST", "/_aliases", NULL,
             "{`actions`:[{`remove`:{`index`:`i1`,`alias`:`gone`}},{`add`:{"
             "`index`:`i2`,`alias`:`x`}}]}"),
         200,
         "{`acknowledged`:true,`errors`:true,`action_results`:[{`action`:{"
         "`type`:`remove`,`indices`:[`i1`],`aliases`:[`gone`]},`status`:404,"
         "`error`:{`type`:`aliases_not_found_exception`,`reason`:`aliases "
         "[gone] missing`,`resource.type`:`aliases`,`resource.id`:`gone`}},{"
         "`action`:{`type`:`add`,`indices`:[`i2`],`aliases`:[`x`]},"
         "`status`:200}]}");
    want(req(st, "GET", "/_alias/x", NULL, NULL), 200,
         "{`i2`:{`aliases`:{`x`:{}}}}");
    /* and alone it is a 404 naming every alias of the request */
    want(req(st, "POST", "/_aliases", NULL,
             "{`actions`:[{`remove`:{`index`:`i1`,`aliases`:[`g2`,`g1`]}}]}"),
         404,
         "{`error`:{`root_cause`:[{`type`:`aliases_not_found_exception`,"
         "`reason`:`aliases [g1, g2] missing`,`resource.type`:`aliases`,"
         "`resource.id`:[`g1`,`g2`]}],`type`:`aliases_not_found_exception`,"
         "`reason`:`aliases [g1, g2] missing`,`resource.type`:`aliases`,"
         "`resource.id`:[`g1`,`g2`]},`status`:404}");
    /* an index swapped for an alias of its name, in one request */
    want(req(st, "POST", "/_aliases", NULL,
             "{`actions`:[{`remove_index`:{`index`:`old`}},{`add`:{`index`:"
             "`i1`,`alias`:`old`}}]}"),
         200, ACK8);
    want(req(st, "GET", "/old/_alias", NULL, NULL), 200,
         "{`i1`:{`aliases`:{`old`:{}}}}");
    /* an index removed earlier in the request cannot be used later */
    want(req(st, "POST", "/_aliases", NULL,
             "{`actions`:[{`remove_index`:{`index`:`i2`}},{`add`:{`index`:"
             "`i2`,`alias`:`y`}}]}"),
         404,
         "{`error`:{`root_cause`:[{`type`:`index_not_found_exception`,"
         "`reason`:`no such index [i2]`,`resource.type`:`index_or_alias`,"
         "`resource.id`:`i2`,`index_uuid`:`_na_`,`index`:`i2`}],`type`:"
         "`index_not_found_exception`,`reason`:`no such index [i2]`,"
         "`resource.type`:`index_or_alias`,`resource.id`:`i2`,`index_uuid`:"
         "`_na_`,`index`:`i2`},`status`:404}");
    want(req(st, "HEAD", "/i2", NULL, NULL), 200, "");
    want(req(st, "POST", "/_aliases", NULL, "{`actions`:[]}"), 400,
         "{`error`:{`root_cause`:[{`type`:"
         "`action_request_validation_exception`,`reason`:`Validation Failed: "
         "1: no actions;`}],`type`:`action_request_validation_exception`,"
         "`reason`:`Validation Failed: 1: no actions;`},`status`:400}");
    want(req(st, "POST", "/_aliases", NULL,
             "{`actions`:[{`add`:{`index`:`i1`}}]}"),
         400,
         "{`error`:{`root_cause`:[{`type`:"
         "`action_request_validation_exception`,`reason`:`Validation Failed: "
         "1: One of [alias] or [aliases] is required;`}],`type`:"
         "`action_request_validation_exception`,`reason`:`Validation Failed: "
         "1: One of [alias] or [aliases] is required;`},`status`:400}");
    ts_state_free(st);

    /* ES 7 answers acknowledged alone */
    st = new_state(TS_MODE_ES7);
    create(st, names);
    want(req(st, "POST", "/_aliases", NULL,
             "{`actions`:[{`remove`:{`index`:`i1`,`alias`:`gone`}},{`add`:{"
             "`index`:`i2`,`alias`:`x`}}]}"),
         200, ACK);
    ts_state_free(st);
}

/* Loads n documents into index, visible at once. */
static void
load(struct ts_state *st, const char *index, int n)
{
    char path[300];
    struct apitest_reply r;
    char *body = calloc((size_t)n, 40);

    assert_non_null(body);
    for (int i = 0; i < n; i++)
        strcat(body, "{\"index\":{}}\n{\"a\":1}\n");
    snprintf(path, sizeof(path), "/%s/_bulk", index);
    r = bulk(st, path, "refresh=true", body);
    assert_int_equal(r.status, 200);
    apitest_reply_free(&r);
    free(body);
}

static void
test_publish_by_alias(void **unused)
{
    static const char *const names[] = {"h.g1", "h.g2", NULL};
    struct ts_state *st = new_state(TS_MODE_ES8);

    (void)unused;
    create(st, names);
    load(st, "h.g1", 3);
    load(st, "h.g2", 5);
    want(req(st, "PUT", "/h.g1/_alias/h", NULL, NULL), 200, ACK8);
    want(req(st, "GET", "/h/_count", NULL, NULL), 200,
         "{`count`:3,`_shards`:{`total`:1,`successful`:1,`skipped`:0,"
         "`failed`:0}}");
    /* the next generation takes the alias in one step, the old one goes */
    want(req(st, "POST", "/_aliases", NULL,
             "{`actions`:[{`remove`:{`index`:`h.g1`,`alias`:`h`}},{`add`:{"
             "`index`:`h.g2`,`alias`:`h`}}]}"),
         200, ACK8);
    want(req(st, "GET", "/h/_count", NULL, NULL), 200,
         "{`count`:5,`_shards`:{`total`:1,`successful`:1,`skipped`:0,"
         "`failed`:0}}");
    want(req(st, "DELETE", "/h.g1", NULL, NULL), 200, ACK);
    want(req(st, "GET", "/_alias/h", NULL, NULL), 200,
         "{`h.g2`:{`aliases`:{`h`:{}}}}");
    /* counts over a list, a pattern and everything */
    load(st, "other", 2);
    want(req(st, "GET", "/h,other/_count", NULL, NULL), 200,
         "{`count`:7,`_shards`:{`total`:2,`successful`:2,`skipped`:0,"
         "`failed`:0}}");
    want(req(st, "GET", "/h.*,ot*/_count", NULL, NULL), 200,
         "{`count`:7,`_shards`:{`total`:2,`successful`:2,`skipped`:0,"
         "`failed`:0}}");
    want(req(st, "GET", "/none*/_count", NULL, NULL), 200,
         "{`count`:0,`_shards`:{`total`:0,`successful`:0,`skipped`:0,"
         "`failed`:0}}");
    want(req(st, "GET", "/_count", NULL, NULL), 200,
         "{`count`:7,`_shards`:{`total`:2,`successful`:2,`skipped`:0,"
         "`failed`:0}}");
    /* on indices or on all of them, the same methods */
    want(req(st, "DELETE", "/_count", NULL, NULL), 405,
         "{`error`:`Incorrect HTTP method for uri [/_count] and method "
         "[DELETE], allowed: [GET, POST]`,`status`:405}");
    want(req(st, "DELETE", "/_refresh", NULL, NULL), 405,
         "{`error`:`Incorrect HTTP method for uri [/_refresh] and method "
         "[DELETE], allowed: [GET, POST]`,`status`:405}");
    want(req(st, "PUT", "/h/_count", NULL, NULL), 405,
         "{`error`:`Incorrect HTTP method for uri [/h/_count] and method "
         "[PUT], allowed: [GET, POST]`,`status`:405}");
    ts_state_free(st);
}

/* ---- templates ---- */

static const char *const FLOWS_TEMPLATE =
    "{`index_patterns`:`flows-*`,`priority`:5,`template`:{`settings`:{"
    "`number_of_replicas`:0,`index`:{`refresh_interval`:`5s`}},`mappings`:{"
    "`properties`:{`bytes`:{`type`:`long`},`src`:{`type`:`ip`}}},"
    "`aliases`:{`flows`:{},`w`:{`routing`:`1`,`is_write_index`:false}}},"
    "`_meta`:{`by`:`forkbulk`}}";

static void
test_templates(void **unused)
{
    struct ts_state *st = new_state(TS_MODE_ES8);
    struct apitest_reply r;

    (void)unused;
    want(req(st, "PUT", "/_index_template/flows", NULL, FLOWS_TEMPLATE), 200,
         ACK);
    /* normalized settings in a node's order; only what was given */
    want(req(st, "GET", "/_index_template/flows", NULL, NULL), 200,
         "{`index_templates`:[{`name`:`flows`,`index_template`:{"
         "`index_patterns`:[`flows-*`],`template`:{`settings`:{`index`:{"
         "`number_of_replicas`:`0`,`refresh_interval`:`5s`}},`mappings`:{"
         "`properties`:{`bytes`:{`type`:`long`},`src`:{`type`:`ip`}}},"
         "`aliases`:{`flows`:{},`w`:{`index_routing`:`1`,`search_routing`:"
         "`1`,`is_write_index`:false}}},`priority`:5,`_meta`:{`by`:"
         "`forkbulk`}}}]}");
    want(req(st, "HEAD", "/_index_template/flows", NULL, NULL), 200, "");
    /* an index made by a _bulk gets the template */
    r = bulk(st, "/flows-1/_bulk", NULL,
             "{\"index\":{\"_id\":\"1\"}}\n{\"bytes\":5}\n"
             "{\"index\":{\"_id\":\"2\"}}\n{\"bytes\":\"many\"}\n");
    assert_non_null(strstr(r.body, "\"status\":400"));
    assert_non_null(strstr(r.body, "[bytes] of type [long]"));
    apitest_reply_free(&r);
    want(req(st, "GET", "/flows-1/_settings/index.re*,index.number_of_re*",
             "flat_settings=true", NULL),
         200,
         "{`flows-1`:{`settings`:{`index.number_of_replicas`:`0`,"
         "`index.refresh_interval`:`5s`}}}");
    want(req(st, "GET", "/flows-1/_alias", NULL, NULL), 200,
         "{`flows-1`:{`aliases`:{`flows`:{},`w`:{`is_write_index`:false}}}}");
    /* the create body wins over the template */
    want(req(st, "PUT", "/flows-2", NULL,
             "{`settings`:{`number_of_replicas`:2}}"),
         200,
         "{`acknowledged`:true,`shards_acknowledged`:true,`index`:`flows-2`}");
    want(req(st, "GET", "/flows-2/_settings/index.number_of_replicas",
             "flat_settings=true", NULL),
         200, "{`flows-2`:{`settings`:{`index.number_of_replicas`:`2`}}}");
    want(
        req(st, "PUT", "/_index_template/flows", "create=true", FLOWS_TEMPLATE),
        400,
        "{`error`:{`root_cause`:[{`type`:`illegal_argument_exception`,"
        "`reason`:`index template [flows] already exists`}],`type`:"
        "`illegal_argument_exception`,`reason`:`index template [flows] "
        "already exists`},`status`:400}");
    want(req(st, "DELETE", "/_index_template/flows", NULL, NULL), 200, ACK);
    want(req(st, "GET", "/_index_template/flows", NULL, NULL), 404,
         "{`error`:{`root_cause`:[{`type`:`resource_not_found_exception`,"
         "`reason`:`index template matching [flows] not found`}],`type`:"
         "`resource_not_found_exception`,`reason`:`index template matching "
         "[flows] not found`},`status`:404}");
    want(req(st, "DELETE", "/_index_template/flows", NULL, NULL), 404,
         "{`error`:{`root_cause`:[{`type`:`index_template_missing_exception`,"
         "`reason`:`index_template [flows] missing`}],`type`:"
         "`index_template_missing_exception`,`reason`:`index_template [flows] "
         "missing`},`status`:404}");
    want(req(st, "GET", "/_index_template", NULL, NULL), 200,
         "{`index_templates`:[]}");
    ts_state_free(st);
}

static void
test_template_priority(void **unused)
{
    struct ts_state *st = new_state(TS_MODE_ES8);

    (void)unused;
    want(req(st, "PUT", "/_index_template/low", NULL,
             "{`index_patterns`:[`f*`],`template`:{`settings`:{"
             "`number_of_replicas`:3}}}"),
         200, ACK);
    want(req(st, "PUT", "/_index_template/high", NULL,
             "{`index_patterns`:[`fl*`],`priority`:10,`template`:{"
             "`settings`:{`refresh_interval`:`30s`}}}"),
         200, ACK);
    want(req(st, "PUT", "/flows", NULL, NULL), 200,
         "{`acknowledged`:true,`shards_acknowledged`:true,`index`:`flows`}");
    /* only the template of highest priority applies, not both */
    want(req(st, "GET", "/flows/_settings/index.number_of_replicas,index.re*",
             "flat_settings", NULL),
         200,
         "{`flows`:{`settings`:{`index.number_of_replicas`:`1`,"
         "`index.refresh_interval`:`30s`}}}");
    want(req(st, "GET", "/_index_template/*", NULL, NULL), 200,
         "{`index_templates`:[{`name`:`high`,`index_template`:{"
         "`index_patterns`:[`fl*`],`template`:{`settings`:{`index`:{"
         "`refresh_interval`:`30s`}}},`priority`:10}},{`name`:`low`,"
         "`index_template`:{`index_patterns`:[`f*`],`template`:{`settings`:{"
         "`index`:{`number_of_replicas`:`3`}}}}}]}");
    want(req(st, "PUT", "/_index_template/bad", NULL,
             "{`index_patterns`:[`b*`],`template`:{`settings`:{"
             "`refresh_interval`:`soon`}}}"),
         400,
         "{`error`:{`root_cause`:[{`type`:`illegal_argument_exception`,"
         "`reason`:`failed to parse setting [index.refresh_interval] with "
         "value [soon] as a time value: unit is missing or unrecognized`}],"
         "`type`:`illegal_argument_exception`,`reason`:`failed to parse "
         "setting [index.refresh_interval] with value [soon] as a time value: "
         "unit is missing or unrecognized`},`status`:400}");
    ts_state_free(st);
}

/* ---- the request log ---- */

static void
test_request_log_bounded(void **unused)
{
    struct ts_state *st = new_state(TS_MODE_ES8);
    struct apitest_reply r;
    char path[64];
    json_t *log = NULL;

    (void)unused;
    for (int i = 0; i < TS_REQLOG_MAX + 5; i++) {
        snprintf(path, sizeof(path), "/x%d/_count", i);
        r = call(st, "GET", path, NULL, NULL, NULL, 0);
        apitest_reply_free(&r);
    }
    r = call(st, "GET", "/_test/requests", NULL, NULL, NULL, 0);
    log = json_loads(r.body, 0, NULL);
    assert_non_null(log);
    /* the last TS_REQLOG_MAX, oldest first */
    assert_int_equal(json_array_size(log), TS_REQLOG_MAX);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(log, 0), "path")),
        "/x5/_count");
    assert_int_equal(
        json_integer_value(json_object_get(json_array_get(log, 0), "status")),
        404);
    json_decref(log);
    apitest_reply_free(&r);
    ts_state_free(st);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_settings_as_created),
        cmocka_unit_test(test_settings_changed_and_reset),
        cmocka_unit_test(test_delete),
        cmocka_unit_test(test_alias_reads),
        cmocka_unit_test(test_aliases_atomic),
        cmocka_unit_test(test_aliases_results),
        cmocka_unit_test(test_publish_by_alias),
        cmocka_unit_test(test_templates),
        cmocka_unit_test(test_template_priority),
        cmocka_unit_test(test_request_log_bounded),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
