/*
 * kafka_batch: a librdkafka producer for capture that takes a whole request's
 * messages in one call and reports each request's outcome once.
 *
 * Why it exists: the general-purpose binding converts every message on its own
 * (topic, key, each header and an opaque handle cross from V8 one by one) and
 * delivers one report object per message to JavaScript; on capture's workload
 * that costs more CPU than building the message. Here JavaScript encodes a
 * request's messages into one Buffer (layout below), the C side walks it and
 * calls rd_kafka_producev() for each message, and delivery reports are counted
 * per batch on librdkafka's side: JavaScript hears once per batch, with the
 * indexes and error codes of the messages that failed, if any.
 *
 * Invariants:
 * - Values are not copied: librdkafka points into the batch Buffer, which a
 *   napi reference keeps alive until every message of the batch has its
 *   delivery report. Keys and headers are copied by librdkafka.
 * - A batch completes exactly once, after its last enqueued message's report
 *   (or at once when nothing could be enqueued); enqueueing stops at the first
 *   refusal so per-key order is never broken by a partial enqueue.
 * - One thread polls librdkafka (delivery reports, errors, statistics); it
 *   only queues what it learns and wakes JavaScript through a thread-safe
 *   function, coalescing wake-ups while JavaScript has not drained the queue.
 *
 * Batch layout, little endian, per message:
 *   u16 topic index | i32 key length (-1: no key) | key | u32 value length |
 *   value | u8 header count | per header: u8 name length | name |
 *   u32 value length | value
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <rdkafka.h>

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOPICS 64

typedef struct producer producer_t;
typedef struct batch batch_t;

typedef struct {
  batch_t *batch;
  uint32_t index;
} msg_ref_t;

struct batch {
  batch_t *next;
  double id;
  napi_ref buffer_ref;
  uint32_t remaining; /* atomic */
  uint32_t nfailed;   /* written by the polling thread only */
  uint32_t *failed;   /* pairs: index, (uint32) error code */
  msg_ref_t refs[];
};

typedef struct event {
  struct event *next;
  char kind; /* 'e' error, 's' stats */
  int code;
  int fatal;
  char *text;
  char *fac;
} event_t;

struct producer {
  rd_kafka_t *rk;
  rd_kafka_topic_t *topics[MAX_TOPICS];
  int ntopics;
  pthread_t poller;
  int running; /* atomic */
  int poller_started;
  pthread_mutex_t lock;
  batch_t *done_head, *done_tail;
  event_t *ev_head, *ev_tail;
  int signalled;
  napi_threadsafe_function tsfn;
  napi_ref cb_ref; /* the same callback, for the final drain at close */
  int closed;
  int last_error;
  /* JavaScript thread only: batches produced and not yet drained. While there
   * are any, the thread-safe function keeps the event loop alive, as a pending
   * write should; otherwise an idle producer does not hold the process open. */
  uint32_t open_batches;
};

/* ---- queueing from librdkafka's threads ---- */

static void wake(producer_t *p) {
  /* called with p->lock held */
  if (!p->signalled && p->tsfn != NULL) {
    p->signalled = 1;
    napi_call_threadsafe_function(p->tsfn, NULL, napi_tsfn_nonblocking);
  }
}

static void push_done(producer_t *p, batch_t *b) {
  pthread_mutex_lock(&p->lock);
  b->next = NULL;
  if (p->done_tail) p->done_tail->next = b; else p->done_head = b;
  p->done_tail = b;
  wake(p);
  pthread_mutex_unlock(&p->lock);
}

static void push_event(producer_t *p, char kind, int code, int fatal, const char *text, size_t len, const char *fac) {
  event_t *e = calloc(1, sizeof(event_t));
  if (e == NULL) return;
  e->kind = kind;
  e->code = code;
  e->fatal = fatal;
  e->text = malloc(len + 1);
  if (e->text) { memcpy(e->text, text, len); e->text[len] = 0; }
  if (fac) e->fac = strdup(fac);
  pthread_mutex_lock(&p->lock);
  if (p->ev_tail) p->ev_tail->next = e; else p->ev_head = e;
  p->ev_tail = e;
  wake(p);
  pthread_mutex_unlock(&p->lock);
}

static void finish_one(producer_t *p, batch_t *b) {
  if (__atomic_sub_fetch(&b->remaining, 1, __ATOMIC_ACQ_REL) == 0) push_done(p, b);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque) {
  (void)rk;
  producer_t *p = opaque;
  msg_ref_t *ref = msg->_private;
  if (ref == NULL) return;
  batch_t *b = ref->batch;
  if (msg->err) {
    b->failed[2 * b->nfailed] = ref->index;
    b->failed[2 * b->nfailed + 1] = (uint32_t)msg->err;
    b->nfailed++;
  }
  finish_one(p, b);
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
  producer_t *p = opaque;
  int fatal = 0;
  char buf[512];
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    fatal = 1;
    err = rd_kafka_fatal_error(rk, buf, sizeof buf);
    reason = buf;
  }
  push_event(p, 'e', err, fatal, reason, strlen(reason), NULL);
}

static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque) {
  (void)rk;
  push_event(opaque, 's', 0, 0, json, len, NULL);
  return 0; /* librdkafka frees json */
}

/* librdkafka's own log lines are dropped (as the binding does without a listener):
 * what matters reaches JavaScript through the error and statistics callbacks. */
static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
  (void)rk;
  (void)level;
  (void)fac;
  (void)buf;
}

static void *poll_main(void *arg) {
  producer_t *p = arg;
  while (__atomic_load_n(&p->running, __ATOMIC_ACQUIRE)) rd_kafka_poll(p->rk, 50);
  return NULL;
}

/* ---- draining on the JavaScript thread ---- */

static void batch_opened(napi_env env, producer_t *p) {
  if (p->open_batches++ == 0 && p->tsfn != NULL) napi_ref_threadsafe_function(env, p->tsfn);
}

static void batch_closed(napi_env env, producer_t *p) {
  if (p->open_batches > 0 && --p->open_batches == 0 && p->tsfn != NULL) napi_unref_threadsafe_function(env, p->tsfn);
}

static void free_batch(napi_env env, batch_t *b) {
  if (b->buffer_ref) napi_delete_reference(env, b->buffer_ref);
  free(b->failed);
  free(b);
}

static void drain(napi_env env, napi_value js_cb, producer_t *p) {
  pthread_mutex_lock(&p->lock);
  batch_t *done = p->done_head;
  event_t *events = p->ev_head;
  p->done_head = p->done_tail = NULL;
  p->ev_head = p->ev_tail = NULL;
  p->signalled = 0;
  pthread_mutex_unlock(&p->lock);
  if (env == NULL || js_cb == NULL) {
    while (done) { batch_t *n = done->next; free(done->failed); free(done); done = n; }
    while (events) { event_t *n = events->next; free(events->text); free(events->fac); free(events); events = n; }
    return;
  }
  napi_value global;
  napi_get_undefined(env, &global);
  if (done) {
    napi_value results, kind;
    uint32_t n = 0;
    napi_create_array(env, &results);
    for (batch_t *b = done; b; b = b->next) {
      napi_value entry;
      if (b->nfailed == 0) {
        napi_create_double(env, b->id, &entry);
      } else {
        napi_create_array_with_length(env, 1 + 2 * b->nfailed, &entry);
        napi_value v;
        napi_create_double(env, b->id, &v);
        napi_set_element(env, entry, 0, v);
        for (uint32_t i = 0; i < b->nfailed; i++) {
          napi_create_uint32(env, b->failed[2 * i], &v);
          napi_set_element(env, entry, 1 + 2 * i, v);
          napi_create_int32(env, (int32_t)b->failed[2 * i + 1], &v);
          napi_set_element(env, entry, 2 + 2 * i, v);
        }
      }
      napi_set_element(env, results, n++, entry);
    }
    while (done) { batch_t *next = done->next; free_batch(env, done); batch_closed(env, p); done = next; }
    napi_create_string_latin1(env, "d", 1, &kind);
    napi_value argv[2] = {kind, results};
    napi_call_function(env, global, js_cb, 2, argv, NULL);
  }
  while (events) {
    event_t *e = events;
    events = e->next;
    napi_value argv[4];
    char k[2] = {e->kind, 0};
    napi_create_string_latin1(env, k, 1, &argv[0]);
    napi_create_int32(env, e->code, &argv[1]);
    napi_get_boolean(env, e->fatal != 0, &argv[2]);
    napi_create_string_utf8(env, e->text ? e->text : "", NAPI_AUTO_LENGTH, &argv[3]);
    napi_call_function(env, global, js_cb, 4, argv, NULL);
    free(e->text);
    free(e->fac);
    free(e);
  }
}

/* The thread-safe function is gone (closed, or the environment is shutting down): stop polling. */
static void tsfn_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  producer_t *p = data;
  pthread_mutex_lock(&p->lock);
  p->tsfn = NULL;
  pthread_mutex_unlock(&p->lock);
  __atomic_store_n(&p->running, 0, __ATOMIC_RELEASE);
  if (p->poller_started) {
    pthread_join(p->poller, NULL);
    p->poller_started = 0;
  }
}

static void call_js(napi_env env, napi_value js_cb, void *context, void *data) {
  (void)data;
  drain(env, js_cb, context);
}

/* ---- exported functions ---- */

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, #call " failed"); return NULL; } } while (0)

static producer_t *unwrap(napi_env env, napi_value v) {
  producer_t *p = NULL;
  if (napi_get_value_external(env, v, (void **)&p) != napi_ok || p == NULL) {
    napi_throw_type_error(env, NULL, "not a producer handle");
    return NULL;
  }
  if (p->closed) {
    napi_throw_error(env, NULL, "the producer is closed");
    return NULL;
  }
  return p;
}

static char *get_string(napi_env env, napi_value v) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (s) napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

/* create(settings: string[] (name, value, ...), onEvent: function) -> handle */
static napi_value create(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t n = 0;
  CHECK(napi_get_array_length(env, argv[0], &n));
  producer_t *p = calloc(1, sizeof(producer_t));
  if (p == NULL) { napi_throw_error(env, NULL, "out of memory"); return NULL; }
  pthread_mutex_init(&p->lock, NULL);
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  char errstr[512];
  for (uint32_t i = 0; i + 1 < n; i += 2) {
    napi_value k, v;
    napi_get_element(env, argv[0], i, &k);
    napi_get_element(env, argv[0], i + 1, &v);
    char *key = get_string(env, k), *val = get_string(env, v);
    rd_kafka_conf_res_t res = (key && val) ? rd_kafka_conf_set(conf, key, val, errstr, sizeof errstr) : RD_KAFKA_CONF_INVALID;
    free(key);
    free(val);
    if (res != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      free(p);
      napi_throw_error(env, NULL, errstr);
      return NULL;
    }
  }
  rd_kafka_conf_set_opaque(conf, p);
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_error_cb(conf, on_error);
  rd_kafka_conf_set_stats_cb(conf, on_stats);
  rd_kafka_conf_set_log_cb(conf, on_log);
  p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (p->rk == NULL) {
    free(p);
    napi_throw_error(env, NULL, errstr);
    return NULL;
  }
  napi_value name;
  napi_create_string_latin1(env, "kafka_batch", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, argv[1], NULL, name, 0, 1, p, tsfn_finalize, p, call_js, &p->tsfn) != napi_ok) {
    rd_kafka_destroy(p->rk);
    free(p);
    napi_throw_error(env, NULL, "cannot create the thread-safe function");
    return NULL;
  }
  napi_unref_threadsafe_function(env, p->tsfn);
  napi_create_reference(env, argv[1], 1, &p->cb_ref);
  p->running = 1;
  if (pthread_create(&p->poller, NULL, poll_main, p) == 0) p->poller_started = 1;
  napi_value handle;
  CHECK(napi_create_external(env, p, NULL, NULL, &handle));
  return handle;
}

/* topic(handle, name) -> index */
static napi_value topic(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  producer_t *p = unwrap(env, argv[0]);
  if (p == NULL) return NULL;
  if (p->ntopics >= MAX_TOPICS) { napi_throw_error(env, NULL, "too many topics"); return NULL; }
  char *name = get_string(env, argv[1]);
  rd_kafka_topic_t *t = name ? rd_kafka_topic_new(p->rk, name, NULL) : NULL;
  free(name);
  if (t == NULL) { napi_throw_error(env, NULL, rd_kafka_err2str(rd_kafka_last_error())); return NULL; }
  p->topics[p->ntopics] = t;
  napi_value out;
  napi_create_int32(env, p->ntopics++, &out);
  return out;
}

#define NEED(n) do { if (at + (n) > end) goto malformed; } while (0)

/*
 * produce(handle, batch: Buffer, count, id) -> number of messages enqueued.
 * When fewer than `count`, lastError(handle) names why the next one was refused.
 */
static napi_value produce(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  producer_t *p = unwrap(env, argv[0]);
  if (p == NULL) return NULL;
  uint8_t *data;
  size_t len;
  uint32_t count;
  double id;
  CHECK(napi_get_buffer_info(env, argv[1], (void **)&data, &len));
  CHECK(napi_get_value_uint32(env, argv[2], &count));
  CHECK(napi_get_value_double(env, argv[3], &id));
  napi_value out;
  if (count == 0) { napi_create_uint32(env, 0, &out); return out; }
  batch_t *b = calloc(1, sizeof(batch_t) + count * sizeof(msg_ref_t));
  uint32_t *failed = malloc(2 * count * sizeof(uint32_t));
  if (b == NULL || failed == NULL) { free(b); free(failed); napi_throw_error(env, NULL, "out of memory"); return NULL; }
  b->failed = failed;
  b->id = id;
  b->remaining = count;
  CHECK(napi_create_reference(env, argv[1], 1, &b->buffer_ref));
  const uint8_t *at = data, *end = data + len;
  uint32_t i = 0;
  rd_kafka_headers_t *hdrs = NULL;
  p->last_error = 0;
  for (; i < count; i++) {
    uint16_t t;
    int32_t klen;
    uint32_t vlen;
    NEED(6);
    memcpy(&t, at, 2);
    memcpy(&klen, at + 2, 4);
    at += 6;
    if (t >= p->ntopics) goto malformed;
    const uint8_t *key = NULL;
    if (klen >= 0) { NEED((size_t)klen); key = at; at += klen; }
    NEED(4);
    memcpy(&vlen, at, 4);
    at += 4;
    NEED(vlen);
    const uint8_t *value = at;
    at += vlen;
    NEED(1);
    uint8_t nh = *at++;
    hdrs = rd_kafka_headers_new(nh);
    for (uint8_t h = 0; h < nh; h++) {
      uint8_t nlen;
      uint32_t hlen;
      NEED(1);
      nlen = *at++;
      NEED(nlen + 4u);
      const uint8_t *hname = at;
      at += nlen;
      memcpy(&hlen, at, 4);
      at += 4;
      NEED(hlen);
      rd_kafka_header_add(hdrs, (const char *)hname, nlen, at, hlen);
      at += hlen;
    }
    b->refs[i].batch = b;
    b->refs[i].index = i;
    rd_kafka_resp_err_t err = rd_kafka_producev(
        p->rk, RD_KAFKA_V_RKT(p->topics[t]), RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA),
        RD_KAFKA_V_MSGFLAGS(0), RD_KAFKA_V_VALUE((void *)value, vlen),
        RD_KAFKA_V_KEY(key, klen >= 0 ? (size_t)klen : 0), RD_KAFKA_V_HEADERS(hdrs),
        RD_KAFKA_V_OPAQUE(&b->refs[i]), RD_KAFKA_V_END);
    if (err) {
      rd_kafka_headers_destroy(hdrs);
      hdrs = NULL;
      p->last_error = err;
      break;
    }
    hdrs = NULL; /* librdkafka owns them now */
  }
  goto enqueued;
malformed:
  if (hdrs != NULL) rd_kafka_headers_destroy(hdrs);
  p->last_error = RD_KAFKA_RESP_ERR__BAD_MSG;
enqueued:
  if (i == 0) {
    free_batch(env, b);
  } else {
    batch_opened(env, p);
  }
  if (i > 0 && i < count) {
    if (__atomic_sub_fetch(&b->remaining, count - i, __ATOMIC_ACQ_REL) == 0) push_done(p, b);
  }
  napi_create_uint32(env, i, &out);
  return out;
}

static napi_value last_error(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  producer_t *p = unwrap(env, argv[0]);
  if (p == NULL) return NULL;
  napi_value code, message;
  napi_create_int32(env, p->last_error, &code);
  napi_create_string_utf8(env, rd_kafka_err2str(p->last_error), NAPI_AUTO_LENGTH, &message);
  napi_create_array_with_length(env, 2, &out);
  napi_set_element(env, out, 0, code);
  napi_set_element(env, out, 1, message);
  return out;
}

/* outq(handle) -> messages librdkafka still holds (queued or in flight) */
static napi_value outq(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  producer_t *p = unwrap(env, argv[0]);
  if (p == NULL) return NULL;
  napi_create_int32(env, rd_kafka_outq_len(p->rk), &out);
  return out;
}

/*
 * purge(handle, inflight) -> undefined: fails the messages still waiting in
 * librdkafka's queues (and, with `inflight`, those sent but not answered) with
 * ERR__PURGE_QUEUE / ERR__PURGE_INFLIGHT, so their batches complete now.
 */
static napi_value purge(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  bool inflight = false;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  producer_t *p = unwrap(env, argv[0]);
  if (p == NULL) return NULL;
  if (argc > 1) napi_get_value_bool(env, argv[1], &inflight);
  rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_NON_BLOCKING | (inflight ? RD_KAFKA_PURGE_F_INFLIGHT : 0));
  return NULL;
}

/* ---- blocking calls on the libuv pool: metadata (connect check) and close ---- */

typedef struct {
  producer_t *p;
  napi_deferred deferred;
  napi_async_work work;
  int timeout_ms;
  int err;
  int brokers;
  int is_close;
} job_t;

static void metadata_execute(napi_env env, void *data) {
  (void)env;
  job_t *j = data;
  const struct rd_kafka_metadata *md = NULL;
  j->err = rd_kafka_metadata(j->p->rk, 0, NULL, &md, j->timeout_ms);
  if (j->err == 0 && md != NULL) {
    j->brokers = md->broker_cnt;
    rd_kafka_metadata_destroy(md);
  }
}

static void close_execute(napi_env env, void *data) {
  (void)env;
  job_t *j = data;
  producer_t *p = j->p;
  __atomic_store_n(&p->running, 0, __ATOMIC_RELEASE);
  if (p->poller_started) {
    pthread_join(p->poller, NULL);
    p->poller_started = 0;
  }
  /* Whatever is still queued fails now (its batches complete with errors). */
  rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  for (int k = 0; k < 100 && rd_kafka_outq_len(p->rk) > 0; k++) rd_kafka_poll(p->rk, 10);
  for (int k = 0; k < p->ntopics; k++) rd_kafka_topic_destroy(p->topics[k]);
  rd_kafka_destroy(p->rk);
  p->rk = NULL;
}

static void job_complete(napi_env env, napi_status status, void *data) {
  job_t *j = data;
  producer_t *p = j->p;
  if (j->is_close) {
    /* Deliver the last completions (purged batches, as failed) now, then retire the thread-safe function. */
    napi_value cb = NULL;
    if (p->cb_ref != NULL && napi_get_reference_value(env, p->cb_ref, &cb) == napi_ok) drain(env, cb, p);
    if (p->cb_ref != NULL) napi_delete_reference(env, p->cb_ref);
    p->cb_ref = NULL;
    if (p->tsfn != NULL) napi_release_threadsafe_function(p->tsfn, napi_tsfn_release);
    napi_value ok;
    napi_get_undefined(env, &ok);
    napi_resolve_deferred(env, j->deferred, ok);
  } else if (status != napi_ok || j->err != 0) {
    napi_value msg, error, code;
    napi_create_string_utf8(env, rd_kafka_err2str(j->err), NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &error);
    napi_create_int32(env, j->err, &code);
    napi_set_named_property(env, error, "code", code);
    napi_reject_deferred(env, j->deferred, error);
  } else {
    napi_value n;
    napi_create_int32(env, j->brokers, &n);
    napi_resolve_deferred(env, j->deferred, n);
  }
  napi_delete_async_work(env, j->work);
  free(j);
}

static napi_value start_job(napi_env env, producer_t *p, int is_close, int timeout_ms) {
  job_t *j = calloc(1, sizeof(job_t));
  napi_value promise, name;
  j->p = p;
  j->is_close = is_close;
  j->timeout_ms = timeout_ms;
  CHECK(napi_create_promise(env, &j->deferred, &promise));
  napi_create_string_latin1(env, is_close ? "kafka_batch.close" : "kafka_batch.metadata", NAPI_AUTO_LENGTH, &name);
  CHECK(napi_create_async_work(env, NULL, name, is_close ? close_execute : metadata_execute, job_complete, j, &j->work));
  CHECK(napi_queue_async_work(env, j->work));
  return promise;
}

/* metadata(handle, timeoutMs) -> Promise<number of brokers> */
static napi_value metadata(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t timeout;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  producer_t *p = unwrap(env, argv[0]);
  if (p == NULL) return NULL;
  CHECK(napi_get_value_int32(env, argv[1], &timeout));
  return start_job(env, p, 0, timeout);
}

/* close(handle) -> Promise<void>; pending batches complete (as failed) first */
static napi_value close_producer(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  producer_t *p = unwrap(env, argv[0]);
  if (p == NULL) return NULL;
  p->closed = 1;
  return start_job(env, p, 1, 0);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"create", NULL, create, NULL, NULL, NULL, napi_default, NULL},
      {"topic", NULL, topic, NULL, NULL, NULL, napi_default, NULL},
      {"produce", NULL, produce, NULL, NULL, NULL, napi_default, NULL},
      {"lastError", NULL, last_error, NULL, NULL, NULL, napi_default, NULL},
      {"outq", NULL, outq, NULL, NULL, NULL, napi_default, NULL},
      {"purge", NULL, purge, NULL, NULL, NULL, napi_default, NULL},
      {"metadata", NULL, metadata, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, close_producer, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
