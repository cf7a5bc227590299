// Package wire serves the fake world on the wire a team's real code speaks:
// an OpenAI-compatible chat completions endpoint, tools as JSON over HTTP
// with the Idempotency-Key convention and a lookup by key, the same tools
// over MCP (modelcontextprotocol/go-sdk) with their annotations, and a
// downstream consumer of streamed chunks. A [Server] sits in front of a
// [World] (a [*fakes.World]); the ledger stays the world's.
//
// # Operations
//
// A logical operation is one step of one execution, named by the operation
// id the execution's inputs carry ([OpID]: "tenant/execution/step"). The
// code under test passes it through unchanged; nothing it computes (an
// idempotency key, a call id, a retry count, an SDK header) identifies the
// operation. The server counts the attempts of each operation at each tool
// itself ([Server.Attempts]): attempt n is the n-th request naming the
// operation that reached the tool, whatever became of it.
//
// Where the id travels:
//
//	tool over HTTP   the body's "op" field
//	chat completion  metadata["op"] (openai-go: ChatCompletionNewParams.Metadata)
//	tool over MCP    the "op" argument
//	downstream       the body's "op" field
//
// # Tools over HTTP
//
// Each tool has its own host, so that a dial names its tool ([ToolHost]:
// "create-charge.tools"); [Endpoints].Tools holds the URLs. Every reply
// closes its connection ("Connection: close"), so every attempt dials: net/http
// retries a replayable request (one with an Idempotency-Key header) on its
// own only over a reused connection, and none is ever reused here.
//
//	POST /v1/tools/{tool}
//	  header    Idempotency-Key: K   (optional; the tool deduplicates by it if it can)
//	  body      {"op": "acme/x1/2", "args": {...}, "ref": "..."}   (ref: the effect a compensator undoes)
//	            decoded strictly: unknown fields and trailing data are a 400
//	  200       {"data": "...", "ref": "..."}
//	  400       malformed body or operation id                    code "malformed_request"
//	  404       no such tool                                      code "unknown_tool"
//	  429, 503  refused before the tool acted; Retry-After        code "rate_limit_exceeded", "unavailable"
//	  500, 502  the tool failed (a fault: after it acted)         code "tool_error"
//
//	GET /v1/tools/{tool}/lookup?tenant=T&key=K
//	  200       {"found": bool, "refs": [...], "data": "...", "ref": "..."}
//	  404       the tool answers no lookups                       code "no_lookup"
//
// Error bodies are OpenAI's shape, {"error": {"message", "type", "code"}},
// so that openai-go decodes them. Retry-After is sent twice, rounded up:
// "Retry-After: 2" in seconds and "Retry-After-Ms: 1500"
// ([HeaderRetryAfterMs]), which openai-go prefers. The args become the
// world's payload as sorted "key=value" lines ([Payload]).
//
// # Chat completions
//
// POST {ModelBaseURL}/chat/completions ([ChatPath]) on host "model",
// with stream false or true. Unknown request fields are ignored, as a model
// API does; messages and metadata.op are required. A non-streamed reply is
// a "chat.completion" whose content is the world's chunks joined by
// spaces; a streamed one is one "chat.completion.chunk" event per chunk
// (`data: {...}`), a finish chunk, a usage chunk when
// stream_options.include_usage is set, then `data: [DONE]`. Usage follows
// the world's token model ([PromptTokens], [ChunkTokens]); an
// Idempotency-Key header becomes the call's dedup token.
//
// # MCP
//
// [Server.MCPServer] has one tool per registration, with readOnlyHint,
// idempotentHint, destructiveHint and openWorldHint drawn from it
// ([Annotations]), and a "lookup" tool (tool, tenant, key). Arguments "op",
// "idempotency_key" and "ref" have their meaning above; the others are the
// payload. [Server.MCPHandler] serves it over streamable HTTP on host "mcp"
// (path /mcp, JSON replies); mcp.NewInMemoryTransports serves it without
// HTTP.
//
// # Faults
//
// [Faults] is asked once per site ([Site]: a dial, a call, a lookup) and
// answers a [Fault]. Before the tool acts: [Refuse] (the dial fails with
// ECONNREFUSED), [Unavailable] (503), [RateLimit] (429), [Outage] (the tool
// is down for a window: dials refused, requests 503). After it acted:
// [Reset] (an RST instead of the reply), [Timeout] (no reply until the
// client gives up), [Status] (500, 502), [StreamCut] (a streamed reply
// reset after k chunks: mid-inference). [Zombie]: the reply is lost and the
// effect lands only once the operation's next request (a lookup of its
// key, or a retry) has been handled, just before that request's reply
// goes — so that it lands before whatever the client does next — or at
// [Server.Close]. [Lag]: a lookup
// does not see effects that landed less than Fault.Lag ago. Over MCP, a
// status is a tool error (isError), a lost reply a protocol error, and a
// timeout holds the reply until the client cancels. On the model, a zombie
// is a reset.
//
// [Server.Log] keeps every exchange with its fault and how it was answered
// ([Reply]: the status, the Retry-After, whether the result reached the
// client), for the failure's timeline; Opts.Observe is told of each
// request as it arrives and again when it is answered, in the order things
// happen, which is what the harness builds its history from. Fault.Then
// runs between the world and the reply: the harness crashes the caller
// there, once what the world did is fixed.
//
// # The client as the consumer
//
// With Opts.ChunksDownstream, a model reply's chunks that reach the client
// are delivered to the world's downstream consumer — as they stream, or
// all at once when a whole reply has been written — under the call's
// Idempotency-Key as the dedup token: code that shows a model's output as
// it comes is that consumer's pipe, and a stream generated again without a
// token shows its first chunks twice. Opts.ModelTool names the world's
// model tool an operation's chat completion calls (a world may have
// several; default llm_complete).
//
// # Where it listens
//
// [Server.Serve] puts every [Host] on a memnet network; [Server.ServeTCP]
// on loopback sockets of its own, for code that cannot run in a bubble
// (net mode, real time; a reset is a TCP RST with zero linger); and
// [Server.ServeOn] wherever a [Listen] says — behind a proxy, say. Only
// memnet listeners gate their dials, so only they refuse connections.
//
// # Running in a synctest bubble (what was measured)
//
// The servers, the world and a team's unchanged code run in one
// testing/synctest bubble over a [memnet] network, and every sleep, timer,
// backoff and deadline passes on the bubble's clock: openai-go v3.98.0
// (streamed and not, through option.WithBaseURL and option.WithHTTPClient),
// cenkalti/backoff v5.0.3 (fifteen minutes of retries in about 5ms of wall
// time), hashicorp/go-retryablehttp v0.7.8 (once its HTTPClient is
// replaced), the go-sdk v1.8.0 MCP client and server (over
// mcp.NewInMemoryTransports, which is net.Pipe, and over streamable HTTP on
// memnet) and go.temporal.io/sdk v1.51.0's TestWorkflowEnvironment, whose
// workflow clock is its own mock but whose goroutines and wall timers are
// the bubble's. The tests that pin each library's behaviour live in the
// examples/realcode module. Loopback sockets and httptest.Server do not
// work in a bubble (their reads are not durably blocking); code that dials
// for itself (a transport it builds, a TLS-only client, gRPC to a real
// Temporal server, an MCP server over stdio) needs net mode, on real time.
//
// Rules the harness keeps, each learned the hard way:
//
//   - Create the network, the world and the server inside the bubble.
//   - Read the ledger after synctest.Wait (or after [Server.Shutdown]):
//     Wait orders the world's writes before the read; without it the race
//     detector is right to object.
//   - Shut down with a context that has a deadline: http.Server.Shutdown
//     polls on a ticker, so with a handler that never returns it would
//     advance the virtual clock for ever.
//   - Close the client's idle connections before the bubble ends, or their
//     goroutines outlive it and synctest.Test panics.
//   - A reply is cut with memnet's Cut, not an RST that loses unread bytes:
//     otherwise whether the client saw the response head before the reset
//     depends on goroutine timing, and so does whether openai-go retries.
//   - Goroutines are not scheduled deterministically in a bubble; a
//     sequential body's requests are. Library jitter is not seeded
//     (openai-go draws up to 25% off its backoff from math/rand, backoff v5
//     ±50% from math/rand/v2): the same seed gives the same ledger, but its
//     virtual timestamps may differ unless the team's jitter is off.
package wire
