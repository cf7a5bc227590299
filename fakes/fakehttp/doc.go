// Package fakehttp serves the fake world over HTTP on loopback, and is the
// engine's HTTP client for it: net mode's real sockets, so that a proxy
// (Toxiproxy) can stand between the engine and every tool.
//
// [Serve] starts one HTTP server per tool — the step tools of
// [fakes.StepTools] and the compensators delete_record and refund_charge —
// and one for the downstream consumer ([Downstream]), each on its own
// 127.0.0.1 port, so that a proxy can be put in front of each. [NewClient]
// returns an [engine.Invoker], [engine.Lookuper] and [engine.Downstream]
// that reaches them. What matters most is that what the engine observes over
// the wire is typed faithfully into the failure vocabulary of package
// outcome: the table below is the contract.
//
// # Wire protocol
//
// Every server answers one call per connection ("Connection: close") and
// sends no Date header; JSON bodies carry a Content-Length. Error statuses
// carry a JSON body {"error": "...", "code": "..."}.
//
//	POST /invoke       (tool servers)
//	  request   {"tenant","exec","run","step","attempt","tool","key","token","payload","ref"}
//	            "tool" may be omitted (it is the server's); key, token and ref when set.
//	  200       {"data": "...", "ref": "..."}                     (application/json)
//	  200       a stream, for streaming tools (llm_complete)      (text/event-stream)
//	  400       malformed request (bad JSON, unknown field, wrong type, trailing data)
//	  404       the call names another tool than the server's     code "unknown-tool"
//	  405       wrong method (Allow says which)
//	  413       request body over 1 MiB
//	  422       the tool acted, then rejected the operation        code "rejected" ([Failer])
//	  429, 503  the tool refused before acting (rate limit, [Gate]), with Retry-After
//	  5xx       the tool failed (500 for a failure without a status of its own; [Failer]: after acting)
//	  no reply  the tool holds the request ([Holder]): the connection closes unanswered once the client goes
//
//	GET /lookup?tenant=T&key=K&exec=E&run=R&step=S&attempt=A   (tool servers)
//	  exec, run, step and attempt name the attempt that looks up (each may be omitted: ""
//	            and 0; attempt 0 is the reconciliation worker), as the world's lookup
//	            quirks are decided per attempt
//	  200       {"found": bool, "refs": [...], "data": "...", "ref": "..."}
//	  400       run, step or attempt not a number of at least 0  code "malformed-request"
//	  404       the tool answers no lookups                      code "no-lookup"
//
//	POST /deliver      (the downstream server)
//	  request   {"tenant","exec","run","step","attempt","token","index","text"}
//	  204       the chunk was consumed (a chunk seen before under its token is not consumed again)
//
//	POST /calibrate?chunks=N     (streaming tools' servers)
//	  200       a stream of N synthetic chunks, framed as a generation is; the world is not touched
//
// Retry-After is sent twice, rounded up so that a client honouring either
// never comes back early: "Retry-After: 2" in whole seconds (RFC 9110) and
// "Retry-After-Ms: 1500" in whole milliseconds ([HeaderRetryAfterMs], the
// extension some model APIs send). The client reads Retry-After-Ms first
// (fractions allowed), then Retry-After as seconds or as an HTTP date.
//
// # Streams
//
// A streaming tool answers with server-sent events, each flushed as the
// world makes it:
//
//	event: chunk
//	data: {"i":0,"text":"acme:chunk-0","pad":"        ..."}
//
//	event: chunk
//	data: {"i":1,"text":"acme:chunk-1","pad":"        ..."}
//
//	event: done
//	data: {"data":"acme:llm:5f3a...","ref":""}
//
// The response head goes out with the first record, so that a tool that
// fails before its first chunk still answers with a status. Every header is
// fixed, one record is one HTTP chunk, and every chunk record is padded to
// the same size, so that a proxy cutting a stream after a number of bytes cuts it
// after a known number of chunks: see [StreamLayout], measured by
// [Calibrate] and kept by [Servers.Layout]. A record counts only once its
// blank line has arrived. A tool that fails after its stream began ends it
// with an "error" record instead of "done".
//
// # Server-side faults
//
// Faults that happen inside a tool, rather than on the wire, are hooks of
// [ServerOpts], consulted per call in this order:
//
//	Holder.Arrived  first, on every call received in full: a request of the same
//	                operation held before lands now, on the world (a zombie arriving)
//	Gate            a status (429, 503) before the world acts — nothing happened;
//	                net mode answers an outage of the tool here, 503 for its window
//	Holder.Held     the request is held: neither acted on nor answered, its
//	                connection closed unanswered once the client gives up; the
//	                Holder lands it later (a zombie)
//	the world       acts
//	Failer          an error instead of the reply, after the world acted: 500 or
//	                502 (an error after the effect), 422 "rejected" (a rejection of
//	                the operation after acting); a stream ends with an error record
//	Garbler         the answer made undecodable after the world acted — for a
//	                stream, the done record after the whole generation went out
//	                (post-inference)
//
// The world's own quirks ([fakes.Quirks], [fakes.LookupQuirks]) keep
// working: the servers call the [fakes.World], and a lookup names its
// attempt. The world acts on every call it received in full, even when the
// client has gone away meanwhile; a stream's generation stops when its
// client goes.
//
// # Classification
//
// The [Client] opens a fresh connection per call, never retries, and types
// each failure by how far the exchange got. Its timeout (ClientOpts.Timeout,
// default 2s) starts when the request has been written; the connect and the
// write get as long again. Each error wraps exactly one sentinel or
// [outcome.StatusError] (or is an [outcome.RejectedError]), with the tool's name.
//
//	observed                                                    error            the engine's phase
//	no server address for the tool                              Status(404)      pre, deterministic (as the world answers)
//	connect refused or unreachable, reset during the handshake,
//	  no connection within the timeout                          ErrRefused       pre
//	timeout while the request is still being written            ErrTimeout       mid (grey zone: counted as sent)
//	reset, EOF, broken pipe while writing the request           ErrReset         mid (grey zone: counted as sent)
//	no response head within the timeout of the request          ErrTimeout       mid
//	reset, EOF or an unparsable head before the response head   ErrReset         mid
//	status >= 300; Retry-After from the headers                 Status(code, d)  429, 503, other 4xx pre; 500, 502, 504 mid
//	status with the code "rejected" (422), or a stream's error
//	  record with it                                            RejectedError    post, deterministic
//	JSON body cut short (EOF, unexpected EOF, reset)            ErrReset         mid
//	JSON body not complete within the timeout                   ErrTimeout       mid
//	complete JSON body that does not decode                     ErrBadResponse   post
//	stream ends before "done": EOF, reset, timeout, an "error"
//	  record, a malformed or out-of-order chunk record          ErrStreamCut     mid (mid-inference)
//	complete "done" record that does not decode                 ErrBadResponse   post (post-inference)
//	Call.Deliver fails                                          ErrStreamCut     mid (mid-inference)
//	Call.Deliver returns engine.ErrCrash                        that error       (the engine crashed)
//	the caller's context ends                                   its error        (untyped)
//
// The decisions behind the grey zones are written where they are made, in
// the exchange's fail method; the rule is that a failure is typed "pre" only
// when no connection ever existed, because calling a sent request unsent
// can duplicate an effect while the converse at worst reconciles one that
// never happened. Behind a TCP proxy, a tool that is down therefore looks
// like a reset (the proxy accepts, then closes): to inject a refusal in net
// mode, disable the proxy so that its port refuses.
//
// A lookup that finds nothing is a result, not an error; a tool that answers
// no lookups gives an error wrapping [fakes.ErrNoLookup]; transport failures
// are typed as above.
package fakehttp
