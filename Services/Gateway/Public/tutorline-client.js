// Tutorline's browser client: ask an assistant, follow its answer with native EventSource, stop
// it, read and delete conversations. An ES module with no dependencies; types in
// tutorline-client.d.ts. Served by the gateway at /tutorline-client.js.
//
//   import { createClient } from "/tutorline-client.js";
//   const tutorline = createClient({ token: () => session.access_token });
//   const job = await tutorline.tutor.ask({ question, courseId });
//   const { answer } = await tutorline.follow(job, { onText: (text) => (bubble.textContent = text) }).done;

/** An API error, or a stream that could not be followed: `code` is the API's snake_case code. */
export class TutorlineError extends Error {
  constructor(code, message, { status = 0, retryAfter = null, answer = null } = {}) {
    super(message);
    this.name = "TutorlineError";
    this.code = code;
    this.status = status;
    this.retryAfter = retryAfter;
    this.answer = answer;
  }
}

const assistants = {
  tutor: { prefix: "/assistant", signedIn: true },
  guide: { prefix: "/api/landing-assistant", signedIn: false },
};

/** A client of one gateway. `token`: the user's bearer token (a string or a function, for the tutor). */
export function createClient({ baseUrl = "", token = null, fetch: fetchImpl = globalThis.fetch.bind(globalThis), EventSource: EventSourceImpl = globalThis.EventSource } = {}) {
  const base = baseUrl.replace(/\/$/, "");
  const url = (path) => (/^https?:/.test(path) ? path : base + path);

  async function bearer(signedIn) {
    if (!signedIn) return null;
    const value = typeof token === "function" ? await token() : token;
    if (!value) throw new TutorlineError("missing_token", "Sign in to ask the tutor.", { status: 401 });
    return value;
  }

  async function call(method, path, { body, auth = null, headers = {} } = {}) {
    const sent = { ...headers };
    if (body !== undefined) sent["Content-Type"] = "application/json";
    if (auth) sent.Authorization = "Bearer " + auth;
    let response;
    try {
      response = await fetchImpl(url(path), { method, headers: sent, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (error) {
      throw new TutorlineError("network_error", "The service could not be reached.", { status: 0 });
    }
    if (response.status === 204) return null;
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const error = (data && data.error) || {};
      throw new TutorlineError(error.code || "http_" + response.status, error.message || "The service answered " + response.status + ".", {
        status: response.status,
        retryAfter: secondsToWait(response.headers.get("Retry-After")),
      });
    }
    return data;
  }

  function assistant(name) {
    const { prefix, signedIn } = assistants[name];
    const self = {
      /** Asks a question; resolves with the accepted job (`jobId`, `streamUrl`, `cancelUrl`, ...). */
      async ask({ question, courseId, sessionId, lessonId, idempotencyKey = newKey() }) {
        const body = { question };
        if (courseId !== undefined) body.courseId = courseId;
        if (sessionId !== undefined) body.sessionId = sessionId;
        if (lessonId !== undefined) body.lessonId = lessonId;
        const job = await call("POST", prefix + "/query", { body, auth: await bearer(signedIn), headers: { "Idempotency-Key": idempotencyKey } });
        return { ...job, assistant: name };
      },
      /** Stops an answer; resolves with the job's status (the stream then ends with `stopped`). */
      async stop(job) {
        // The tutor's answers stop for their owner; a guide's for the holder of its stream token.
        const auth = signedIn ? await bearer(true) : new URL(job.streamUrl, "http://x").searchParams.get("token");
        return call("POST", job.cancelUrl || prefix + "/job/" + job.jobId + "/cancel", { auth });
      },
      /** A conversation: its messages, and its questions still being answered (each followable). */
      async conversation(sessionId) {
        const session = await call("GET", prefix + "/sessions/" + encodeURIComponent(sessionId), { auth: await bearer(signedIn) });
        session.running = session.running.map((job) => ({ ...job, assistant: name }));
        return session;
      },
      /** Deletes a conversation for good; resolves once it is gone. */
      async deleteConversation(sessionId) {
        await call("DELETE", prefix + "/sessions/" + encodeURIComponent(sessionId), { auth: await bearer(signedIn) });
      },
      /** A job's status (the legacy poll). */
      async status(jobId) {
        return call("GET", prefix + "/job/" + encodeURIComponent(jobId), { auth: await bearer(signedIn) });
      },
    };
    if (signedIn) {
      /** The user's conversations, newest first: `{ sessions, nextCursor }`. */
      self.conversations = async ({ courseId, limit, cursor } = {}) => {
        const query = new URLSearchParams();
        if (courseId) query.set("courseId", courseId);
        if (limit) query.set("limit", String(limit));
        if (cursor) query.set("cursor", cursor);
        const suffix = query.toString() ? "?" + query : "";
        return call("GET", prefix + "/sessions" + suffix, { auth: await bearer(true) });
      };
    }
    return self;
  }

  /**
   * Follows a job's answer. Callbacks (all optional): onStatus(status), onText(textSoFar, piece),
   * onCompleted(result), onStopped(answer), onFailed(error), onReconnecting() (the connection was
   * lost; the browser reconnects and resumes by itself), onEvent(id) (every event up to this id
   * is handled: keep it, with the text so far, to resume after a reload as `lastEventId`).
   * Returns { done, close, lastEventId, text }: `done` resolves with { answer, result, stopped }
   * and rejects with a TutorlineError. A stream that ended before it opened (every event seen) is
   * settled from the job's status.
   */
  function follow(job, handlers = {}, { lastEventId = null, text = "", timeoutRetries = 3 } = {}) {
    const state = { lastEventId, text, closed: false };
    let source = null;
    let retries = 0;
    let settle;
    const done = new Promise((resolve, reject) => {
      settle = { resolve, reject };
    });
    const end = (outcome, error) => {
      if (state.closed) return;
      state.closed = true;
      if (source) source.close();
      if (error) {
        handlers.onFailed && handlers.onFailed(error);
        settle.reject(error);
      } else settle.resolve(outcome);
    };
    const seen = (event) => {
      if (event.lastEventId) {
        state.lastEventId = event.lastEventId;
        handlers.onEvent && handlers.onEvent(event.lastEventId);
      }
    };
    const open = () => {
      const target = new URL(url(job.streamUrl), globalThis.location ? globalThis.location.href : "http://localhost/");
      // Native EventSource resumes by itself after a dropped connection; a new one (a reload, a
      // stream that timed out) says where it stopped in the URL.
      if (state.lastEventId !== null) target.searchParams.set("lastEventId", state.lastEventId);
      source = new EventSourceImpl(target.toString());
      source.addEventListener("status", (event) => handlers.onStatus && handlers.onStatus(JSON.parse(event.data).status));
      source.addEventListener("reset", (event) => {
        state.text = "";
        handlers.onText && handlers.onText("", "");
        seen(event);
      });
      source.addEventListener("delta", (event) => {
        const piece = JSON.parse(event.data).text;
        state.text += piece;
        retries = 0;
        handlers.onText && handlers.onText(state.text, piece);
        seen(event);
      });
      source.addEventListener("completed", (event) => {
        seen(event);
        const result = JSON.parse(event.data);
        state.text = result.answer;
        handlers.onCompleted && handlers.onCompleted(result);
        end({ answer: result.answer, result, stopped: false });
      });
      source.addEventListener("failed", (event) => {
        seen(event);
        const data = JSON.parse(event.data);
        if (data.code === "cancelled") {
          state.text = data.answer || "";
          handlers.onStopped && handlers.onStopped(state.text);
          end({ answer: state.text, result: null, stopped: true });
        } else end(null, new TutorlineError(data.code, data.error, { answer: state.text }));
      });
      source.addEventListener("timeout", () => {
        // Nothing new for the stream's timeout: the job may still come; look again a few times.
        source.close();
        if (retries++ < timeoutRetries) open();
        else end(null, new TutorlineError("timeout", "No answer arrived in time.", { answer: state.text }));
      });
      source.onerror = () => {
        if (state.closed) return;
        // CONNECTING: the browser reconnects by itself, with Last-Event-ID.
        if (source.readyState !== EventSourceImpl.CLOSED) {
          handlers.onReconnecting && handlers.onReconnecting();
          return;
        }
        // CLOSED: it gave up, and EventSource does not say why: a 204 (the job ended and every
        // event was seen, as after a reload past the end), or an error status (an expired token,
        // too many streams). The job's status tells an ended answer from a lost stream.
        settleFromStatus();
      };
    };
    const settleFromStatus = async () => {
      const lost = () => new TutorlineError("stream_closed", "The answer's stream could not be followed.", { answer: state.text });
      try {
        const signedIn = job.assistant ? assistants[job.assistant].signedIn : /^\/assistant\//.test(job.pollUrl || "");
        const status = await call("GET", job.pollUrl, { auth: await bearer(signedIn) });
        if (status.status === "COMPLETED" && status.result) {
          state.text = status.result.answer;
          handlers.onCompleted && handlers.onCompleted(status.result);
          end({ answer: status.result.answer, result: status.result, stopped: false });
        } else end(null, lost());
      } catch (error) {
        end(null, lost());
      }
    };
    open();
    // A caller that uses only the callbacks leaves `done` unawaited: no unhandled rejection then.
    done.catch(() => {});
    return {
      done,
      close: () => end({ answer: state.text, result: null, stopped: false }),
      get lastEventId() { return state.lastEventId; },
      get text() { return state.text; },
    };
  }

  return { tutor: assistant("tutor"), guide: assistant("guide"), follow };
}

/** `Retry-After` in seconds: a number, or an HTTP date. */
function secondsToWait(header) {
  if (header === null) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds;
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, Math.ceil((at - Date.now()) / 1000)) : null;
}

function newKey() {
  return globalThis.crypto && globalThis.crypto.randomUUID ? globalThis.crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
}
