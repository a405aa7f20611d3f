// Types of tutorline-client.js, served by the gateway at /tutorline-client.d.ts.

/** The API's error codes (README, "Error codes"), and the client's own: network_error, stream_closed, timeout. */
export type TutorlineErrorCode =
  | "bad_request" | "malformed_json" | "missing_field" | "invalid_field" | "empty_question" | "question_too_long"
  | "missing_course" | "invalid_job_id" | "invalid_session_id" | "invalid_idempotency_key" | "invalid_last_event_id"
  | "invalid_limit" | "invalid_cursor" | "incomplete_body" | "missing_token" | "invalid_token" | "expired_token"
  | "not_your_job" | "session_not_yours" | "token_for_other_job" | "token_for_other_assistant" | "origin_not_allowed"
  | "not_found" | "job_not_found" | "session_not_found" | "course_not_found" | "method_not_allowed"
  | "idempotency_key_reused" | "body_too_large" | "unsupported_media_type" | "rate_limited" | "too_many_active_jobs" | "too_many_streams"
  | "store_unavailable" | "auth_unavailable" | "shutting_down" | "internal_error"
  | "network_error" | "stream_closed" | "timeout"
  | (string & {});

export class TutorlineError extends Error {
  constructor(code: TutorlineErrorCode, message: string, details?: { status?: number; retryAfter?: number | null; answer?: string | null });
  readonly name: "TutorlineError";
  readonly code: TutorlineErrorCode;
  /** The HTTP status, 0 when there was none (no network, a stream event). */
  readonly status: number;
  /** Seconds to wait before trying again (429, 503). */
  readonly retryAfter: number | null;
  /** The text streamed before a stream failed. */
  readonly answer: string | null;
}

export type JobStatus = "QUEUED" | "PROCESSING" | "COMPLETED" | "FAILED";
export type AssistantName = "tutor" | "guide";

/** A job as `ask` accepted it, or as a conversation lists it while it runs. */
export interface Job {
  jobId: string;
  status: JobStatus;
  /** The conversation the question went into (in `ask`'s answer). */
  sessionId?: string;
  streamUrl: string;
  pollUrl: string;
  cancelUrl: string;
  assistant: AssistantName;
}

export interface Source { lessonTitle: string; chunkId?: string }

export interface JobResult {
  jobId: string;
  answer: string;
  sessionId: string;
  nextSuggestions: string[];
  sources: Source[];
}

export interface JobStatusBody { jobId: string; status: JobStatus; result?: JobResult; errorMessage?: string }

export interface Message {
  jobId: string;
  role: "user" | "assistant";
  content: string;
  stopped: boolean;
  createdAt: string;
  sources: Source[];
  nextSuggestions: string[];
}

export interface Conversation {
  sessionId: string;
  messages: Message[];
  running: (Job & { question: string })[];
}

export interface ConversationPage {
  sessions: { sessionId: string; title: string; createdAt: string; lastActivity: string }[];
  nextCursor: string | null;
}

export interface Question {
  question: string;
  /** The conversation to continue; a new one when absent. */
  sessionId?: string;
  /** Sent as Idempotency-Key: a retry with the same key returns the same job. A fresh one by default. */
  idempotencyKey?: string;
}

export interface Assistant {
  ask(question: Question): Promise<Job>;
  stop(job: Pick<Job, "jobId" | "streamUrl"> & Partial<Pick<Job, "cancelUrl">>): Promise<JobStatusBody>;
  conversation(sessionId: string): Promise<Conversation>;
  deleteConversation(sessionId: string): Promise<void>;
  status(jobId: string): Promise<JobStatusBody>;
}

export interface Tutor extends Omit<Assistant, "ask"> {
  ask(question: Question & { courseId: string; lessonId?: string }): Promise<Job>;
  conversations(options?: { courseId?: string; limit?: number; cursor?: string }): Promise<ConversationPage>;
}

export interface FollowHandlers {
  onStatus?(status: "QUEUED" | "PROCESSING"): void;
  /** The answer so far, and the piece just added ("" after a reset: a retried attempt starts over). */
  onText?(text: string, piece: string): void;
  onCompleted?(result: JobResult): void;
  onStopped?(answer: string): void;
  onFailed?(error: TutorlineError): void;
  /** The connection was lost; the browser reconnects and resumes by itself. */
  onReconnecting?(): void;
  /** The last event's id: keep it to resume after a reload (`lastEventId`). */
  onEvent?(lastEventId: string): void;
}

export interface FollowOptions {
  /** Resume after this event (kept from `onEvent`), with `text` the answer so far. */
  lastEventId?: string | null;
  text?: string;
  /** How many times a stream that timed out is opened again before `done` rejects. Default 3. */
  timeoutRetries?: number;
}

export interface Following {
  readonly done: Promise<{ answer: string; result: JobResult | null; stopped: boolean }>;
  /** Stops following (the answer goes on; `stop` stops it). */
  close(): void;
  readonly lastEventId: string | null;
  readonly text: string;
}

export interface TutorlineClient {
  tutor: Tutor;
  guide: Assistant;
  follow(job: Pick<Job, "streamUrl" | "pollUrl"> & Partial<Pick<Job, "assistant">>, handlers?: FollowHandlers, options?: FollowOptions): Following;
}

export interface ClientOptions {
  /** The gateway's origin; "" (the default) for the page's own. */
  baseUrl?: string;
  /** The user's bearer token, or a function that returns it (the tutor needs it). */
  token?: string | null | (() => string | null | Promise<string | null>);
  fetch?: typeof fetch;
  EventSource?: typeof EventSource;
}

export function createClient(options?: ClientOptions): TutorlineClient;
