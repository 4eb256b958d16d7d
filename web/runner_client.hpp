// Talking to a runner's API (/v1, see the README's "Studio: the Runner panel"): requests sent
// with the connection's URL and token through the browser's fetch (browser.hpp), and what their
// answers mean in words. Used by the Runner panel and its backtest.
#pragma once

#include <string>

#include "studio_state.hpp"

namespace shopflow::studio {

// Sends `method` `path` (with its query, e.g. "/v1/events?limit=1000") to the connected runner
// with the token; the answer comes to runner_answer() (panel_runner.cpp) under the id returned.
int runner_send(StudioState& state, RunnerCall call, const std::string& method, const std::string& path,
                const std::string& body = "");

// Cancels a request under way (its answer comes as status 0, "cancelled"); 0 does nothing.
void runner_cancel(StudioState& state, int id);

// `text` with everything but letters, digits and -._~ percent-encoded (a run id in a path, a
// time in a query).
std::string url_encode(const std::string& text);

// The query of an events page: the panel's filters, the page's start and its size.
std::string events_query(const RunnerState& r, const std::string& after, size_t limit);

// Where the events page after `body` starts: the Shopflow-Next-After header `header` when the
// browser let the page read it, else (a full page of `asked` lines) the seq of its last line;
// "" when it was the last page.
std::string page_next(const std::string& header, const std::string& body, size_t asked);

// A run as GET /v1/runs/{id} gives it, made the shape the studio's run traces have: the API
// writes "error" and "error_step" as "" (or null) for a run that did not fail, a trace leaves
// them out (draw_run_trace() shows a run with an error as failed).
void as_trace_run(Json& run);

// Why a request failed, in words, from its status and the runner's JSON error body
// ({"error", "message"}): "401 unauthorized: ...", or for status 0 the browser's reason and
// what to check (the URL, the runner's api.cors_origins).
std::string answer_error(const RunnerState& r, int status, const std::string& body);

}  // namespace shopflow::studio
