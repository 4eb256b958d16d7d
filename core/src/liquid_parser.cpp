// Liquid parser: template text -> Document (the tree liquid_render.cpp walks).
//
// Follows Shopify's Ruby implementation (liquid 5.x) closely, because templates written for
// Shopify must mean the same thing here:
//   - the tokenizer splits text, {{ output }} and {% tags %} exactly as Ruby's does;
//   - whitespace control ({%- -%} {{- -}}) and Ruby's "blank block" rule (a block holding only
//     whitespace and assign/comment-like tags renders without that whitespace);
//   - strict mode parses expressions with Ruby's strict lexer/parser rules; lax mode tries the
//     strict parser first and falls back to Ruby's regular-expression based parsing;
//   - tags whose Ruby implementation is regex based (case/when, cycle, include, render, ...)
//     use the same regex semantics, reimplemented by hand.
// Nesting (blocks and expressions) is bounded by Limits::max_depth so no input can overflow
// the stack.
#include <algorithm>
#include <cstring>
#include <deque>

#include "liquid_internal.hpp"

namespace shopflow::liquid::detail {

namespace {

// [SECTION] Template tokenizer

struct Tok {
  enum class T : uint8_t { Text, Tag, Var, Line } t = T::Text;
  std::string_view text;
  int line = 1, column = 1;
};

bool is_word(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Ruby liquid's tokenizer: text runs up to the next "{{" or "{%"; a tag runs to the next "%}";
// an output runs to the first "}" (or "}}"), unless a "{%" comes first, in which case it runs
// to the next "%}" (and then fails to parse as an output).
std::vector<Tok> tokenize(std::string_view src) {
  std::vector<Tok> toks;
  size_t pos = 0, n = src.size();
  int line = 1, col = 1;
  auto advance = [&](size_t from, size_t to) {
    for (size_t k = from; k < to; ++k) {
      if (src[k] == '\n') {
        ++line;
        col = 1;
      } else if ((static_cast<unsigned char>(src[k]) & 0xC0) != 0x80) {
        ++col;
      }
    }
  };
  auto push = [&](Tok::T t, size_t start, size_t end) {
    Tok tok;
    tok.t = t;
    tok.text = src.substr(start, end - start);
    tok.line = line;
    tok.column = col;
    toks.push_back(tok);
    advance(start, end);
  };
  while (pos < n) {
    if (src[pos] == '{' && pos + 1 < n && src[pos + 1] == '%') {
      size_t end = src.find("%}", pos + 2);
      if (end == std::string_view::npos) {
        push(Tok::T::Tag, pos, pos + 2);  // "{%": reported as not terminated
        pos += 2;
      } else {
        push(Tok::T::Tag, pos, end + 2);
        pos = end + 2;
      }
      continue;
    }
    if (src[pos] == '{' && pos + 1 < n && src[pos + 1] == '{') {
      size_t k = pos + 2;
      size_t end = std::string_view::npos;
      bool as_tag = false;
      while (k < n) {
        char c = src[k];
        if (c == '}') {
          end = (k + 1 < n && src[k + 1] == '}') ? k + 2 : k + 1;
          break;
        }
        if (c == '{' && k + 1 < n && src[k + 1] == '%') {
          as_tag = true;
          break;
        }
        ++k;
      }
      if (as_tag) {
        size_t tend = src.find("%}", k + 2);
        if (tend == std::string_view::npos) {
          push(Tok::T::Var, pos, pos + 2);
          pos += 2;
        } else {
          push(Tok::T::Var, pos, tend + 2);
          pos = tend + 2;
        }
      } else if (end == std::string_view::npos) {
        push(Tok::T::Var, pos, n);  // unterminated: reported as such
        pos = n;
      } else {
        push(Tok::T::Var, pos, end);
        pos = end;
      }
      continue;
    }
    size_t next = pos;
    for (;;) {
      next = src.find('{', next);
      if (next == std::string_view::npos || next + 1 >= n) {
        next = n;
        break;
      }
      if (src[next + 1] == '{' || src[next + 1] == '%') break;
      ++next;
    }
    push(Tok::T::Text, pos, next);
    pos = next;
  }
  return toks;
}

// The lines of a {% liquid %} tag (Ruby: markup.split("\n")).
std::vector<Tok> tokenize_lines(std::string_view markup, int line, int column) {
  std::vector<Tok> toks;
  size_t start = 0;
  int ln = line;
  while (start <= markup.size()) {
    size_t nl = markup.find('\n', start);
    size_t end = nl == std::string_view::npos ? markup.size() : nl;
    Tok t;
    t.t = Tok::T::Line;
    t.text = markup.substr(start, end - start);
    t.line = ln;
    t.column = ln == line ? column : 1;
    toks.push_back(t);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
    ++ln;
  }
  return toks;
}

// FullToken: {%-? \s* (#|\w+) \s* (markup) -?%}
bool match_full_token(std::string_view tok, std::string_view& name, std::string_view& markup) {
  if (tok.size() < 4 || tok.substr(0, 2) != "{%" || tok.substr(tok.size() - 2) != "%}") return false;
  std::string_view inner = tok.substr(2, tok.size() - 4);
  size_t i = 0;
  if (!inner.empty() && inner[0] == '-') i = 1;
  while (i < inner.size() && is_space(inner[i])) ++i;
  size_t ns = i;
  if (i < inner.size() && inner[i] == '#') {
    ++i;
  } else {
    while (i < inner.size() && is_word(inner[i])) ++i;
  }
  if (i == ns) return false;
  name = inner.substr(ns, i - ns);
  while (i < inner.size() && is_space(inner[i])) ++i;
  std::string_view rest = inner.substr(i);
  // A trailing '-' belongs to "-%}" unless it is the leading '-' already consumed.
  if (!rest.empty() && rest.back() == '-' && !(inner.size() == 1)) rest.remove_suffix(1);
  markup = rest;
  return true;
}

// FullTokenPossiblyInvalid: (.*){%-?\s*(\w+)\s*(.*)?-?%} -- used by raw and doc bodies.
bool match_possibly_invalid(std::string_view tok, std::string_view& before, std::string_view& name) {
  if (tok.size() < 4 || tok.substr(tok.size() - 2) != "%}") return false;
  // (.*) is greedy: try the last "{%" first.
  size_t at = tok.size() - 2;
  while (at != std::string_view::npos) {
    at = tok.rfind("{%", at == 0 ? 0 : at - 1);
    if (at == std::string_view::npos) return false;
    size_t i = at + 2;
    if (i < tok.size() - 2 && tok[i] == '-') ++i;
    while (i < tok.size() - 2 && is_space(tok[i])) ++i;
    size_t ns = i;
    while (i < tok.size() - 2 && is_word(tok[i])) ++i;
    if (i > ns) {
      before = tok.substr(0, at);
      name = tok.substr(ns, i - ns);
      return true;
    }
    if (at == 0) return false;
  }
  return false;
}

// LiquidTagToken: \A\s*(#|\w+)\s*(.*?)\z on one line.
bool match_line_token(std::string_view line, std::string_view& name, std::string_view& markup) {
  size_t i = 0;
  while (i < line.size() && is_space(line[i])) ++i;
  size_t ns = i;
  if (i < line.size() && line[i] == '#') {
    ++i;
  } else {
    while (i < line.size() && is_word(line[i])) ++i;
  }
  if (i == ns) return false;
  name = line.substr(ns, i - ns);
  while (i < line.size() && is_space(line[i])) ++i;
  markup = line.substr(i);
  return true;
}

bool whitespace_only(std::string_view s) {
  for (char c : s) {
    if (!is_space(c)) return false;
  }
  return true;
}

// [SECTION] Expression lexer (Ruby's strict lexer)

enum class TT : uint8_t { End, Cmp, Str, Num, Id, DotDot, Pipe, Dot, Colon, Comma, LBr, RBr, LPar, RPar, Question, Dash };

struct LTok {
  TT t = TT::End;
  std::string_view text;
};

const char* tt_name(TT t) {
  switch (t) {
    case TT::End: return "end_of_string";
    case TT::Cmp: return "comparison";
    case TT::Str: return "string";
    case TT::Num: return "number";
    case TT::Id: return "id";
    case TT::DotDot: return "dotdot";
    case TT::Pipe: return "pipe";
    case TT::Dot: return "dot";
    case TT::Colon: return "colon";
    case TT::Comma: return "comma";
    case TT::LBr: return "open_square";
    case TT::RBr: return "close_square";
    case TT::LPar: return "open_round";
    case TT::RPar: return "close_round";
    case TT::Question: return "question";
    case TT::Dash: return "dash";
  }
  return "?";
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha_(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

std::vector<LTok> lex(std::string_view s) {
  std::vector<LTok> out;
  size_t i = 0, n = s.size();
  while (true) {
    while (i < n && is_space(s[i])) ++i;
    if (i >= n) break;
    char c = s[i];
    size_t st = i;
    // comparison: == != <> <= < >= > contains(?=\s)
    if ((c == '=' && i + 1 < n && s[i + 1] == '=') || (c == '!' && i + 1 < n && s[i + 1] == '=') ||
        (c == '<' && i + 1 < n && s[i + 1] == '>')) {
      i += 2;
      out.push_back({TT::Cmp, s.substr(st, 2)});
      continue;
    }
    if (c == '<' || c == '>') {
      i += (i + 1 < n && s[i + 1] == '=') ? 2 : 1;
      out.push_back({TT::Cmp, s.substr(st, i - st)});
      continue;
    }
    if (s.substr(i, 8) == "contains" && i + 8 < n && is_space(s[i + 8])) {
      i += 8;
      out.push_back({TT::Cmp, s.substr(st, 8)});
      continue;
    }
    if (c == '\'' || c == '"') {
      size_t close = s.find(c, i + 1);
      if (close != std::string_view::npos) {
        i = close + 1;
        out.push_back({TT::Str, s.substr(st, i - st)});
        continue;
      }
      fail(std::string("Unexpected character ") + c);
    }
    if (is_digit(c) || (c == '-' && i + 1 < n && is_digit(s[i + 1]))) {
      if (c == '-') ++i;
      while (i < n && is_digit(s[i])) ++i;
      if (i + 1 < n && s[i] == '.' && is_digit(s[i + 1])) {
        ++i;
        while (i < n && is_digit(s[i])) ++i;
      }
      out.push_back({TT::Num, s.substr(st, i - st)});
      continue;
    }
    if (is_alpha_(c)) {
      ++i;
      while (i < n && (is_word(s[i]) || s[i] == '-')) ++i;
      if (i < n && s[i] == '?') ++i;
      out.push_back({TT::Id, s.substr(st, i - st)});
      continue;
    }
    if (c == '.' && i + 1 < n && s[i + 1] == '.') {
      i += 2;
      out.push_back({TT::DotDot, s.substr(st, 2)});
      continue;
    }
    TT t;
    switch (c) {
      case '|': t = TT::Pipe; break;
      case '.': t = TT::Dot; break;
      case ':': t = TT::Colon; break;
      case ',': t = TT::Comma; break;
      case '[': t = TT::LBr; break;
      case ']': t = TT::RBr; break;
      case '(': t = TT::LPar; break;
      case ')': t = TT::RPar; break;
      case '?': t = TT::Question; break;
      case '-': t = TT::Dash; break;
      default: {
        // Report the whole UTF-8 character.
        size_t len = 1;
        unsigned char u = static_cast<unsigned char>(c);
        if (u >= 0xF0) len = 4; else if (u >= 0xE0) len = 3; else if (u >= 0xC0) len = 2;
        fail("Unexpected character " + std::string(s.substr(i, std::min(len, n - i))));
      }
    }
    ++i;
    out.push_back({t, s.substr(st, 1)});
  }
  out.push_back({TT::End, {}});
  return out;
}

// [SECTION] Expression construction helpers

ExprPtr lit(Value v) {
  auto e = std::make_unique<Expr>();
  e->t = Expr::T::Literal;
  e->literal = std::move(v);
  return e;
}

ExprPtr lit_string(std::string_view s) {
  auto e = std::make_unique<Expr>();
  e->t = Expr::T::Literal;
  e->storage = std::string(s);
  e->literal = Value::view(e->storage);
  return e;
}

Value parse_int_literal(std::string_view t) {
  Num n;
  if (parse_decimal(t, n) && n.t == Num::T::Int) return num_value(n);
  return Value::flt(0);
}

Value parse_float_literal(std::string_view t) {
  Num n;
  if (parse_decimal(t, n)) {
    Value v = num_value(n);
    if (v.kind == Kind::Int) return Value::flt(static_cast<double>(v.i));
    return v;
  }
  return Value::flt(0);
}

// Ruby's String#to_f on the FLOATS_REGEX form (-?\d[\d.]+): the longest valid prefix.
Value ruby_to_f(std::string_view t) {
  size_t i = 0;
  if (i < t.size() && t[i] == '-') ++i;
  while (i < t.size() && is_digit(t[i])) ++i;
  if (i + 1 < t.size() && t[i] == '.' && is_digit(t[i + 1])) {
    ++i;
    while (i < t.size() && is_digit(t[i])) ++i;
  }
  return parse_float_literal(t.substr(0, i));
}

// The literal names of Expression.parse. In conditions blank/empty are special values.
bool literal_keyword(std::string_view w, bool in_condition, Value& out) {
  if (w == "nil" || w == "null") { out = Value::nil(); return true; }
  if (w == "true") { out = Value::boolean(true); return true; }
  if (w == "false") { out = Value::boolean(false); return true; }
  if (w == "blank") { out = in_condition ? Value::special(Kind::Blank) : Value::view(""); return true; }
  if (w == "empty") { out = in_condition ? Value::special(Kind::Empty) : Value::view(""); return true; }
  return false;
}

// [SECTION] Regex-based helpers (Ruby's QuotedFragment, TagAttributes, Expression.parse)

// QuotedFragment anchored at `pos`: "..." | '...' | ([^\s,|'"] | "..." | '...')+ ; 0 if none.
size_t match_qf(std::string_view s, size_t pos) {
  if (pos >= s.size()) return 0;
  char c = s[pos];
  if (c == '"' || c == '\'') {
    size_t close = s.find(c, pos + 1);
    return close == std::string_view::npos ? 0 : close + 1 - pos;
  }
  size_t i = pos;
  while (i < s.size()) {
    char d = s[i];
    if (d == '"' || d == '\'') {
      size_t close = s.find(d, i + 1);
      if (close == std::string_view::npos) break;
      i = close + 1;
      continue;
    }
    if (is_space(d) || d == ',' || d == '|') break;
    ++i;
  }
  return i - pos;
}

// First QuotedFragment anywhere in s (unanchored search).
bool search_qf(std::string_view s, size_t from, size_t& start, size_t& len) {
  for (size_t p = from; p < s.size(); ++p) {
    size_t l = match_qf(s, p);
    if (l) {
      start = p;
      len = l;
      return true;
    }
  }
  return false;
}

// TagAttributes scan: (\w[\w-]*)\s*:\s*(QuotedFragment), repeated over the markup.
std::vector<std::pair<std::string_view, std::string_view>> scan_attributes(std::string_view s) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  size_t p = 0;
  while (p < s.size()) {
    if (!is_word(s[p])) {
      ++p;
      continue;
    }
    size_t ks = p, k = p + 1;
    while (k < s.size() && (is_word(s[k]) || s[k] == '-')) ++k;
    size_t ke = k;
    while (k < s.size() && is_space(s[k])) ++k;
    if (k < s.size() && s[k] == ':') {
      ++k;
      while (k < s.size() && is_space(s[k])) ++k;
      size_t l = match_qf(s, k);
      if (l) {
        out.emplace_back(s.substr(ks, ke - ks), s.substr(k, l));
        p = k + l;
        continue;
      }
    }
    ++p;
  }
  return out;
}

class Parser;

// [SECTION] Parser

class Parser {
 public:
  explicit Parser(const Options& options) : strict_(options.mode == Mode::Strict) {
    max_depth_ = std::min<size_t>(std::max<size_t>(options.limits.max_depth, 1), kHardDepthLimit);
  }

  void parse_document(std::string_view src, Document& doc) {
    toks_ = tokenize(src);
    Cursor c{&toks_, 0, false};
    Stop stop = parse_body(c, doc.body);
    if (!stop.eof) {
      if (stop.name == "else" || stop.name == "end") {
        error_at(stop.tok, "Unexpected outer '" + std::string(stop.name) + "' tag");
      }
      error_at(stop.tok, "Unknown tag '" + std::string(stop.name) + "'");
    }
  }

 private:
  struct Cursor {
    const std::vector<Tok>* toks;
    size_t i;
    bool liquid;
    const Tok* next() { return i < toks->size() ? &(*toks)[i++] : nullptr; }
  };

  struct Stop {
    bool eof = true;
    std::string_view name, markup;
    const Tok* tok = nullptr;
  };

  bool strict_;
  size_t max_depth_;
  std::vector<Tok> toks_;
  std::deque<std::vector<Tok>> line_storage_;  // keeps {% liquid %} line tokens alive
  bool trim_ws_ = false;
  size_t depth_ = 0;
  size_t expr_depth_ = 0;
  const Tok* cur_ = nullptr;  // token being parsed, for error positions

  [[noreturn]] void error_at(const Tok* t, std::string msg) {
    if (t) fail(std::move(msg), t->line, t->column);
    fail(std::move(msg));
  }
  [[noreturn]] void error(std::string msg) { error_at(cur_, std::move(msg)); }

  template <class N>
  std::unique_ptr<N> make(const Tok* t) {
    auto n = std::make_unique<N>();
    if (t) {
      n->line = t->line;
      n->column = t->column;
    }
    return n;
  }

  // Runs fn with LiquidError positions filled in from the current token.
  template <class F>
  auto positioned(F&& fn) -> decltype(fn()) {
    try {
      return fn();
    } catch (LiquidError& e) {
      if (e.line == 0 && cur_) {
        e.line = cur_->line;
        e.column = cur_->column;
      }
      throw;
    }
  }

  // --- bodies -------------------------------------------------------------

  void whitespace_handler(std::string_view tok, Body& body) {
    if (tok.size() > 2 && tok[2] == '-') {
      if (!body.nodes.empty() && body.nodes.back()->is_text()) {
        auto* t = static_cast<TextNode*>(body.nodes.back().get());
        size_t e = t->text.size();
        while (e > 0 && (is_space(t->text[e - 1]) || t->text[e - 1] == '\0')) --e;
        t->text.resize(e);
      }
    }
    trim_ws_ = tok.size() >= 3 && tok[tok.size() - 3] == '-';
  }

  Stop parse_body(Cursor& c, Body& body) {
    while (const Tok* t = c.next()) {
      cur_ = t;
      if (t->t == Tok::T::Line) {
        if (t->text.empty() || whitespace_only(t->text)) continue;
        std::string_view name, markup;
        if (!match_line_token(t->text, name, markup)) {
          Stop s;
          s.eof = false;
          s.name = t->text;
          s.markup = t->text;
          s.tok = t;
          return s;
        }
        if (name == "liquid") {
          parse_liquid_markup(markup, t, body);
          continue;
        }
        NodePtr node = parse_tag(name, markup, t, c);
        if (!node) {
          Stop s;
          s.eof = false;
          s.name = name;
          s.markup = markup;
          s.tok = t;
          return s;
        }
        body.blank = body.blank && node->blank();
        body.nodes.push_back(std::move(node));
        continue;
      }
      if (t->t == Tok::T::Text) {
        if (t->text.empty()) continue;
        std::string_view text = t->text;
        if (trim_ws_) {
          size_t b = 0;
          while (b < text.size() && is_space(text[b])) ++b;
          text.remove_prefix(b);
        }
        trim_ws_ = false;
        auto node = make<TextNode>(t);
        node->text = std::string(text);
        body.blank = body.blank && whitespace_only(node->text);
        body.nodes.push_back(std::move(node));
        continue;
      }
      if (t->t == Tok::T::Var) {
        whitespace_handler(t->text, body);
        std::string_view tok = t->text;
        if (tok.size() < 4 || tok.substr(tok.size() - 2) != "}}") {
          error("Variable '" + std::string(tok) + "' was not properly terminated with regexp: /\\}\\}/");
        }
        std::string_view inner = tok.substr(2, tok.size() - 4);
        if (!inner.empty() && inner[0] == '-') inner.remove_prefix(1);
        if (!inner.empty() && inner.back() == '-') inner.remove_suffix(1);
        auto node = make<OutputNode>(t);
        node->var = parse_variable(inner);
        body.blank = false;
        body.nodes.push_back(std::move(node));
        continue;
      }
      // Tag
      whitespace_handler(t->text, body);
      std::string_view name, markup;
      if (!match_full_token(t->text, name, markup)) {
        error("Tag '" + std::string(t->text) + "' was not properly terminated with regexp: /\\%\\}/");
      }
      if (name == "liquid") {
        parse_liquid_markup(markup, t, body);
        continue;
      }
      NodePtr node = parse_tag(name, markup, t, c);
      if (!node) {
        Stop s;
        s.eof = false;
        s.name = name;
        s.markup = markup;
        s.tok = t;
        return s;
      }
      body.blank = body.blank && node->blank();
      body.nodes.push_back(std::move(node));
    }
    return Stop{};
  }

  void parse_liquid_markup(std::string_view markup, const Tok* t, Body& body) {
    // Where the markup starts: the tag name may be followed by a newline.
    int line = t->line, column = t->column;
    if (markup.data() >= t->text.data() && markup.data() <= t->text.data() + t->text.size()) {
      for (const char* p = t->text.data(); p < markup.data(); ++p) {
        if (*p == '\n') {
          ++line;
          column = 1;
        } else {
          ++column;
        }
      }
    }
    line_storage_.push_back(tokenize_lines(markup, line, column));
    Cursor lc{&line_storage_.back(), 0, true};
    Stop stop = parse_body(lc, body);
    if (!stop.eof) unknown_tag(stop, "liquid", "%}");
  }

  [[noreturn]] void unknown_tag(const Stop& stop, std::string_view block, std::string_view delimiter) {
    cur_ = stop.tok;
    std::string name(stop.name);
    if (name == "else") error("Unexpected else for " + std::string(block) + " tag");
    if (name.rfind("end", 0) == 0) {
      error("'" + name + "' is not a valid delimiter for " + std::string(block) + " tags. use " + std::string(delimiter));
    }
    error("Unknown tag '" + name + "'");
  }

  // Parses a block's body up to its next branch or end tag. Returns the stop (never eof).
  Stop parse_block_body(Cursor& c, Body& body, std::string_view block_name, const Tok* open) {
    if (depth_ >= max_depth_) {
      cur_ = open;
      error("Nesting too deep (limit " + std::to_string(max_depth_) + ")");
    }
    ++depth_;
    Stop stop = parse_body(c, body);
    --depth_;
    if (stop.eof) {
      cur_ = open;
      error("'" + std::string(block_name) + "' tag was never closed");
    }
    return stop;
  }

  // --- expressions (strict) ----------------------------------------------

  struct TokStream {
    const std::vector<LTok>& t;
    size_t p = 0;
    const LTok& peek(size_t ahead = 0) const {
      size_t k = std::min(p + ahead, t.size() - 1);
      return t[k];
    }
    bool look(TT type, size_t ahead = 0) const { return peek(ahead).t == type; }
    std::string_view consume(TT type) {
      if (peek().t != type) {
        fail(std::string("Expected ") + tt_name(type) + " but found " + tt_name(peek().t));
      }
      return t[p++].text;
    }
    bool accept(TT type) {
      if (peek().t != type) return false;
      ++p;
      return true;
    }
    bool accept_id(std::string_view word) {
      if (peek().t != TT::Id || peek().text != word) return false;
      ++p;
      return true;
    }
  };

  struct DepthGuard {
    size_t& d;
    DepthGuard(size_t& depth, size_t max) : d(depth) {
      if (++d > max) {
        --d;
        throw LiquidError{"Expression nested too deeply (limit " + std::to_string(max) + ")", 0, 0, true};
      }
    }
    ~DepthGuard() { --d; }
  };

  ExprPtr strict_expression(TokStream& ts, bool in_condition) {
    DepthGuard guard(expr_depth_, max_depth_);
    const LTok& tok = ts.peek();
    switch (tok.t) {
      case TT::Id: {
        ts.p++;
        std::string_view name = tok.text;
        bool has_lookups = ts.look(TT::LBr) || ts.look(TT::Dot);
        Value kw;
        if (!has_lookups && literal_keyword(name, in_condition, kw)) {
          auto e = lit(kw);
          e->text = std::string(name);
          return e;
        }
        auto e = std::make_unique<Expr>();
        e->t = Expr::T::Lookup;
        e->name = std::string(name);
        e->text = std::string(name);
        strict_lookups(ts, *e);
        return e;
      }
      case TT::LBr: {
        ts.p++;
        auto e = std::make_unique<Expr>();
        e->t = Expr::T::Lookup;
        e->name_expr = strict_expression(ts, false);
        ts.consume(TT::RBr);
        e->text = "[" + e->name_expr->text + "]";
        strict_lookups(ts, *e);
        return e;
      }
      case TT::Str: {
        ts.p++;
        auto e = lit_string(tok.text.substr(1, tok.text.size() - 2));
        e->text = std::string(tok.text);
        return e;
      }
      case TT::Num: {
        ts.p++;
        bool is_float = tok.text.find('.') != std::string_view::npos;
        auto e = lit(is_float ? parse_float_literal(tok.text) : parse_int_literal(tok.text));
        e->text = std::string(tok.text);
        return e;
      }
      case TT::LPar: {
        ts.p++;
        auto e = std::make_unique<Expr>();
        e->t = Expr::T::Range;
        e->lo = strict_expression(ts, false);
        ts.consume(TT::DotDot);
        e->hi = strict_expression(ts, false);
        ts.consume(TT::RPar);
        e->text = "(" + e->lo->text + ".." + e->hi->text + ")";
        return e;
      }
      default:
        if (tok.t == TT::End) fail("Expected an expression but the markup ended");
        fail("Expected an expression but found '" + std::string(tok.text) + "'");
    }
  }

  void strict_lookups(TokStream& ts, Expr& e) {
    for (;;) {
      if (ts.accept(TT::LBr)) {
        PathSegment seg;
        ExprPtr key = strict_expression(ts, false);
        ts.consume(TT::RBr);
        e.text += "[" + key->text + "]";
        if (key->t == Expr::T::Literal && key->literal.kind == Kind::Str) {
          seg.key = std::string(key->literal.s);
        } else {
          seg.expr = std::move(key);
        }
        e.path.push_back(std::move(seg));
      } else if (ts.accept(TT::Dot)) {
        std::string_view id = ts.consume(TT::Id);
        PathSegment seg;
        seg.key = std::string(id);
        seg.command = id == "size" || id == "first" || id == "last";
        e.text += "." + seg.key;
        e.path.push_back(std::move(seg));
      } else {
        return;
      }
    }
  }

  void strict_filters(TokStream& ts, VariableExpr& v) {
    while (ts.accept(TT::Pipe)) {
      FilterCall f;
      f.name = std::string(ts.consume(TT::Id));
      if (ts.accept(TT::Colon)) {
        do {
          if (ts.look(TT::Id) && ts.look(TT::Colon, 1)) {
            std::string key(ts.consume(TT::Id));
            ts.consume(TT::Colon);
            f.kwargs.emplace_back(std::move(key), strict_expression(ts, false));
          } else {
            f.args.push_back(strict_expression(ts, false));
          }
        } while (ts.accept(TT::Comma));
      }
      v.filters.push_back(std::move(f));
    }
  }

  VariableExpr strict_variable(std::string_view markup) {
    std::vector<LTok> toks = lex(markup);
    TokStream ts{toks};
    VariableExpr v;
    if (ts.look(TT::End)) return v;
    v.expr = strict_expression(ts, false);
    strict_filters(ts, v);
    if (!ts.look(TT::End)) {
      fail(std::string("Expected end_of_string but found ") + tt_name(ts.peek().t) + " in \"{{" +
           std::string(markup) + "}}\"");
    }
    return v;
  }

  // --- expressions (Ruby's Expression.parse over markup text) -------------

  ExprPtr markup_expression(std::string_view markup, bool in_condition = false) {
    DepthGuard guard(expr_depth_, max_depth_);
    std::string_view m = trim(markup);
    if (m.empty()) return lit(Value::nil());
    if (m.size() >= 2 && ((m.front() == '"' && m.back() == '"') || (m.front() == '\'' && m.back() == '\''))) {
      auto e = lit_string(m.substr(1, m.size() - 2));
      e->text = std::string(m);
      return e;
    }
    if (m.size() == 1 && (m[0] == '"' || m[0] == '\'')) return lit_string("");
    // INTEGERS_REGEX
    {
      size_t i = m[0] == '-' ? 1 : 0;
      bool all = i < m.size();
      for (size_t k = i; k < m.size(); ++k) all = all && is_digit(m[k]);
      if (all) {
        auto e = lit(parse_int_literal(m));
        e->text = std::string(m);
        return e;
      }
    }
    // RANGES_REGEX
    if (m.front() == '(' && m.back() == ')') {
      ExprPtr r = markup_range(m);
      if (r) return r;
    }
    // FLOATS_REGEX: -?\d[\d.]+
    {
      size_t i = m[0] == '-' ? 1 : 0;
      bool ok = i + 1 < m.size() && is_digit(m[i]);
      for (size_t k = i + 1; ok && k < m.size(); ++k) ok = is_digit(m[k]) || m[k] == '.';
      if (ok) {
        auto e = lit(ruby_to_f(m));
        e->text = std::string(m);
        return e;
      }
    }
    Value kw;
    if (literal_keyword(m, in_condition, kw)) {
      auto e = lit(kw);
      e->text = std::string(m);
      return e;
    }
    return markup_lookup(m);
  }

  ExprPtr markup_range(std::string_view m) {
    std::string_view inner = m.substr(1, m.size() - 2);
    size_t i = 0;
    while (i < inner.size() && is_space(inner[i])) ++i;
    size_t rs = i, re = i;
    while (re < inner.size() && !is_space(inner[re])) ++re;
    if (re == rs) return nullptr;
    for (size_t k = re - rs; k >= 1; --k) {
      size_t after = rs + k;
      size_t q = after;
      if (k == re - rs) {
        while (q < inner.size() && is_space(inner[q])) ++q;
      }
      if (inner.substr(q, 2) != "..") continue;
      std::string_view first = inner.substr(rs, k);
      std::string_view rest = trim(inner.substr(q + 2));
      if (rest.empty()) return nullptr;
      for (char ch : rest) {
        if (is_space(ch)) return nullptr;
      }
      auto e = std::make_unique<Expr>();
      e->t = Expr::T::Range;
      e->lo = markup_expression(first);
      e->hi = markup_expression(rest);
      e->text = "(" + std::string(first) + ".." + std::string(rest) + ")";
      return e;
    }
    return nullptr;
  }

  // VariableLookup: scan \[[^\]]+\] | [\w-]+\??
  ExprPtr markup_lookup(std::string_view m) {
    auto e = std::make_unique<Expr>();
    e->t = Expr::T::Lookup;
    e->text = std::string(m);
    bool first = true;
    size_t i = 0;
    while (i < m.size()) {
      std::string_view part;
      bool bracket = false;
      if (m[i] == '[') {
        size_t close = m.find(']', i + 1);
        if (close != std::string_view::npos && close > i + 1) {
          part = m.substr(i + 1, close - i - 1);
          bracket = true;
          i = close + 1;
        } else {
          ++i;
          continue;
        }
      } else if (is_word(m[i]) || m[i] == '-') {
        size_t st = i;
        while (i < m.size() && (is_word(m[i]) || m[i] == '-')) ++i;
        if (i < m.size() && m[i] == '?') ++i;
        part = m.substr(st, i - st);
      } else {
        ++i;
        continue;
      }
      if (first) {
        first = false;
        if (bracket) {
          e->name_expr = markup_expression(part);
        } else {
          e->name = std::string(part);
        }
        continue;
      }
      PathSegment seg;
      if (bracket) {
        ExprPtr key = markup_expression(part);
        if (key->t == Expr::T::Literal && key->literal.kind == Kind::Str) {
          seg.key = std::string(key->literal.s);
        } else {
          seg.expr = std::move(key);
        }
      } else {
        seg.key = std::string(part);
        seg.command = part == "size" || part == "first" || part == "last";
      }
      e->path.push_back(std::move(seg));
    }
    if (first) return lit(Value::nil());
    return e;
  }

  // --- variables (output, echo, assign) ---------------------------------

  VariableExpr parse_variable(std::string_view markup) {
    VariableExpr v;
    try {
      v = strict_variable(markup);
    } catch (LiquidError& e) {
      if (strict_ || e.limit) {
        if (e.message.find(" in \"") == std::string::npos) e.message += " in \"{{" + std::string(markup) + "}}\"";
        positioned([&]() -> int { throw; });
      }
      v = lax_variable(markup);
    }
    resolve_filters(v);
    return v;
  }

  VariableExpr lax_variable(std::string_view markup) {
    VariableExpr v;
    size_t st, len;
    if (!search_qf(markup, 0, st, len)) return v;
    v.expr = markup_expression(markup.substr(st, len));
    std::string_view rest = markup.substr(st + len);
    size_t pipe = rest.find('|');
    if (pipe == std::string_view::npos) return v;
    rest = rest.substr(pipe + 1);
    // Each filter chunk runs to the next '|' outside quotes.
    size_t i = 0;
    while (i <= rest.size()) {
      size_t j = i;
      while (j < rest.size() && rest[j] != '|') {
        if (rest[j] == '"' || rest[j] == '\'') {
          size_t close = rest.find(rest[j], j + 1);
          if (close != std::string_view::npos) {
            j = close + 1;
            continue;
          }
        }
        ++j;
      }
      std::string_view chunk = rest.substr(i, j - i);
      size_t w = 0;
      while (w < chunk.size() && !is_word(chunk[w])) ++w;
      if (w < chunk.size()) {
        size_t we = w;
        while (we < chunk.size() && is_word(chunk[we])) ++we;
        FilterCall f;
        f.name = std::string(chunk.substr(w, we - w));
        // FilterArgsRegex: (?::|,)\s*((?:\w+\s*:\s*)?QuotedFragment)
        size_t k = we;
        while (k < chunk.size()) {
          if (chunk[k] != ':' && chunk[k] != ',') {
            if (chunk[k] == '"' || chunk[k] == '\'') {
              size_t close = chunk.find(chunk[k], k + 1);
              k = close == std::string_view::npos ? k + 1 : close + 1;
            } else {
              ++k;
            }
            continue;
          }
          size_t a = k + 1;
          while (a < chunk.size() && is_space(chunk[a])) ++a;
          // keyword?
          size_t kw = a;
          while (kw < chunk.size() && is_word(chunk[kw])) ++kw;
          size_t kc = kw;
          while (kc < chunk.size() && is_space(chunk[kc])) ++kc;
          if (kw > a && kc < chunk.size() && chunk[kc] == ':') {
            size_t vs = kc + 1;
            while (vs < chunk.size() && is_space(chunk[vs])) ++vs;
            size_t l = match_qf(chunk, vs);
            if (l) {
              f.kwargs.emplace_back(std::string(chunk.substr(a, kw - a)), markup_expression(chunk.substr(vs, l)));
              k = vs + l;
              continue;
            }
          }
          size_t l = match_qf(chunk, a);
          if (l) {
            f.args.push_back(markup_expression(chunk.substr(a, l)));
            k = a + l;
          } else {
            k = a;
          }
        }
        v.filters.push_back(std::move(f));
      }
      i = j + 1;
    }
    return v;
  }

  void resolve_filters(VariableExpr& v) {
    for (FilterCall& f : v.filters) {
      f.def = find_filter(f.name);
      if (!f.def) {
        if (strict_) error("Unknown filter '" + f.name + "'");
        continue;
      }
      size_t n = f.args.size() + ((!f.kwargs.empty() && !f.def->takes_kwargs) ? 1 : 0);
      if (n < f.def->min_args || n > f.def->max_args) {
        std::string expected = f.def->min_args == f.def->max_args
                                   ? std::to_string(f.def->min_args)
                                   : std::to_string(f.def->min_args) + ".." + std::to_string(f.def->max_args);
        error("wrong number of arguments for filter '" + f.name + "' (given " + std::to_string(n) + ", expected " +
              expected + ")");
      }
    }
  }

  // --- conditions -----------------------------------------------------------

  static CmpOp cmp_op(std::string_view op) {
    if (op == "==") return CmpOp::Eq;
    if (op == "!=" || op == "<>") return CmpOp::Ne;
    if (op == "<") return CmpOp::Lt;
    if (op == "<=") return CmpOp::Le;
    if (op == ">") return CmpOp::Gt;
    if (op == ">=") return CmpOp::Ge;
    if (op == "contains") return CmpOp::Contains;
    return CmpOp::None;
  }

  Condition strict_condition(std::string_view markup) {
    std::vector<LTok> toks = lex(markup);
    TokStream ts{toks};
    Condition c;
    auto comparison = [&]() {
      Comparison cmp;
      cmp.left = strict_expression(ts, true);
      if (ts.look(TT::Cmp)) {
        cmp.op = cmp_op(ts.consume(TT::Cmp));
        cmp.right = strict_expression(ts, true);
      }
      c.items.push_back(std::move(cmp));
    };
    comparison();
    for (;;) {
      if (ts.accept_id("and")) {
        c.is_and.push_back(true);
      } else if (ts.accept_id("or")) {
        c.is_and.push_back(false);
      } else {
        break;
      }
      comparison();
    }
    if (!ts.look(TT::End)) {
      fail(std::string("Expected end_of_string but found ") + tt_name(ts.peek().t) + " in \"" +
           std::string(trim(markup)) + "\"");
    }
    return c;
  }

  Condition lax_condition(std::string_view markup) {
    // Words (QuotedFragment or \S+); "and"/"or" words separate comparisons.
    std::vector<std::string_view> groups;
    std::vector<bool> ops;
    size_t i = 0, gstart = std::string_view::npos, gend = 0;
    while (i < markup.size()) {
      if (is_space(markup[i])) {
        ++i;
        continue;
      }
      size_t l = match_qf(markup, i);
      if (!l) {
        l = 0;
        while (i + l < markup.size() && !is_space(markup[i + l])) ++l;
      }
      std::string_view w = markup.substr(i, l);
      if (w == "and" || w == "or") {
        if (gstart == std::string_view::npos) error("Syntax Error in tag 'if' - Valid syntax: if [expression]");
        groups.push_back(markup.substr(gstart, gend - gstart));
        ops.push_back(w == "and");
        gstart = std::string_view::npos;
      } else {
        if (gstart == std::string_view::npos) gstart = i;
        gend = i + l;
      }
      i += l;
    }
    if (gstart == std::string_view::npos) error("Syntax Error in tag 'if' - Valid syntax: if [expression]");
    groups.push_back(markup.substr(gstart, gend - gstart));
    Condition c;
    for (std::string_view g : groups) {
      // Syntax: (QF)\s*([=!<>a-z_]+)?\s*(QF)?
      size_t st, len;
      if (!search_qf(g, 0, st, len)) error("Syntax Error in tag 'if' - Valid syntax: if [expression]");
      Comparison cmp;
      cmp.left = markup_expression(g.substr(st, len), true);
      size_t k = st + len;
      while (k < g.size() && is_space(g[k])) ++k;
      size_t os = k;
      while (k < g.size() && (g[k] == '=' || g[k] == '!' || g[k] == '<' || g[k] == '>' || (g[k] >= 'a' && g[k] <= 'z') || g[k] == '_')) ++k;
      if (k > os) {
        std::string_view op = g.substr(os, k - os);
        cmp.op = cmp_op(op);
        if (cmp.op == CmpOp::None) error("Unknown operator " + std::string(op));
        while (k < g.size() && is_space(g[k])) ++k;
        size_t l = match_qf(g, k);
        cmp.right = l ? markup_expression(g.substr(k, l), true) : lit(Value::nil());
      }
      c.items.push_back(std::move(cmp));
    }
    c.is_and = ops;
    return c;
  }

  Condition parse_condition(std::string_view markup) {
    try {
      return strict_condition(markup);
    } catch (LiquidError& e) {
      if (strict_ || e.limit) positioned([&]() -> int { throw; });
    }
    return lax_condition(markup);
  }

  // --- tags -------------------------------------------------------------------

  // Returns null for tags this body does not know (branch and end tags, unknown tags).
  NodePtr parse_tag(std::string_view name, std::string_view markup, const Tok* t, Cursor& c) {
    cur_ = t;
    try {
      return positioned([&]() -> NodePtr { return parse_tag_inner(name, markup, t, c); });
    } catch (LiquidError& e) {
      // Name the tag unless the message already quotes its markup (or comes from its body).
      if (e.line == t->line && e.column == t->column && e.message.find(" in \"") == std::string::npos) {
        std::string shown(trim(markup));
        if (shown.size() > 80) shown = shown.substr(0, 77) + "...";
        e.message += " in \"{% " + std::string(name) + (shown.empty() ? "" : " " + shown) + " %}\"";
      }
      throw;
    }
  }

  NodePtr parse_tag_inner(std::string_view name, std::string_view markup, const Tok* t, Cursor& c) {
    if (name == "if" || name == "unless") return parse_if(name, markup, t, c);
    if (name == "for") return parse_for(markup, t, c);
    if (name == "assign") return parse_assign(markup, t);
    if (name == "capture") return parse_capture(markup, t, c);
    if (name == "case") return parse_case(markup, t, c);
    if (name == "echo") {
      auto n = make<OutputNode>(t);
      n->var = parse_variable(markup);
      return n;
    }
    if (name == "comment") return parse_comment(t, c);
    if (name == "#") {
      // Every line of an inline comment must start with '#'.
      for (size_t k = 0; k < markup.size(); ++k) {
        if (markup[k] != '\n') continue;
        size_t q = k + 1;
        while (q < markup.size() && is_space(markup[q])) ++q;
        if (q < markup.size() && markup[q] != '#') error("Syntax error in tag '#' - Each line of comments must be prefixed by the '#' character");
      }
      return make<CommentNode>(t);
    }
    if (name == "raw") return parse_raw(markup, t, c);
    if (name == "doc") return parse_doc(markup, t, c);
    if (name == "increment" || name == "decrement") {
      auto n = make<CounterNode>(t);
      n->name = std::string(trim(markup));
      n->increment = name == "increment";
      return n;
    }
    if (name == "cycle") return parse_cycle(markup, t);
    if (name == "tablerow") return parse_tablerow(markup, t, c);
    if (name == "ifchanged") {
      auto n = make<IfChangedNode>(t);
      Stop s = parse_block_body(c, n->body, "ifchanged", t);
      if (s.name != "endifchanged") unknown_tag(s, "ifchanged", "endifchanged");
      n->blank_ = n->body.blank;
      return n;
    }
    if (name == "break" || name == "continue") {
      auto n = make<InterruptNode>(t);
      n->is_break = name == "break";
      return n;
    }
    if (name == "include" || name == "render") return parse_partial(name == "render", markup, t);
    return nullptr;
  }

  NodePtr parse_if(std::string_view name, std::string_view markup, const Tok* t, Cursor& c) {
    auto n = make<IfNode>(t);
    n->unless = name == "unless";
    std::string end = "end" + std::string(name);
    IfNode::Branch first;
    first.cond = parse_condition(markup);
    n->branches.push_back(std::move(first));
    for (;;) {
      Stop s = parse_block_body(c, n->branches.back().body, name, t);
      n->blank_ = n->blank_ && n->branches.back().body.blank;
      if (s.name == end) break;
      if (s.name == "elsif" || s.name == "else") {
        cur_ = s.tok;
        IfNode::Branch b;
        if (s.name == "else") {
          b.is_else = true;
        } else {
          b.cond = positioned([&] { return parse_condition(s.markup); });
        }
        n->branches.push_back(std::move(b));
        continue;
      }
      unknown_tag(s, name, end);
    }
    if (n->blank_) {
      for (auto& b : n->branches) b.body.remove_blank_strings();
    }
    return n;
  }

  NodePtr parse_for(std::string_view markup, const Tok* t, Cursor& c) {
    auto n = make<ForNode>(t);
    try {
      strict_for(markup, *n);
    } catch (LiquidError& e) {
      if (strict_ || e.limit) throw;
      lax_for(markup, *n);
    }
    Stop s = parse_block_body(c, n->body, "for", t);
    n->blank_ = n->body.blank;
    if (s.name == "else") {
      n->has_else = true;
      s = parse_block_body(c, n->else_body, "for", t);
      n->blank_ = n->blank_ && n->else_body.blank;
    }
    if (s.name != "endfor") unknown_tag(s, "for", "endfor");
    if (n->blank_) {
      n->body.remove_blank_strings();
      n->else_body.remove_blank_strings();
    }
    return n;
  }

  void strict_for(std::string_view markup, ForNode& n) {
    std::vector<LTok> toks = lex(markup);
    TokStream ts{toks};
    n.var = std::string(ts.consume(TT::Id));
    if (!ts.accept_id("in")) fail("For loops require an 'in' clause");
    n.collection = strict_expression(ts, false);
    n.name = n.var + "-" + n.collection->text;
    n.reversed = ts.accept_id("reversed");
    for (;;) {
      ts.accept(TT::Comma);
      if (!(ts.look(TT::Id) && ts.look(TT::Colon, 1))) break;
      std::string_view attr = ts.consume(TT::Id);
      if (attr != "limit" && attr != "offset") fail("Invalid attribute in for loop. Valid attributes are limit and offset");
      ts.consume(TT::Colon);
      if (attr == "offset" && ts.look(TT::Id) && ts.peek().text == "continue" && !ts.look(TT::Dot, 1) &&
          !ts.look(TT::LBr, 1)) {
        ts.p++;
        n.offset_continue = true;
        n.offset.reset();
        continue;
      }
      ExprPtr e = strict_expression(ts, false);
      if (attr == "limit") {
        n.limit = std::move(e);
      } else {
        n.offset = std::move(e);
        n.offset_continue = false;
      }
    }
    if (!ts.look(TT::End)) {
      fail(std::string("Expected end_of_string but found ") + tt_name(ts.peek().t) + " in \"" + std::string(trim(markup)) + "\"");
    }
  }

  void lax_for(std::string_view markup, ForNode& n) {
    // \A([\w-]+)\s+in\s+(QuotedFragment+)\s*(reversed)?
    auto bad = [&]() { error("Syntax Error in 'for loop' - Valid syntax: for [item] in [collection]"); };
    size_t i = 0;
    while (i < markup.size() && (is_word(markup[i]) || markup[i] == '-')) ++i;
    if (i == 0) bad();
    n.var = std::string(markup.substr(0, i));
    size_t k = i;
    while (k < markup.size() && is_space(markup[k])) ++k;
    if (k == i || markup.substr(k, 2) != "in") bad();
    k += 2;
    size_t k2 = k;
    while (k2 < markup.size() && is_space(markup[k2])) ++k2;
    if (k2 == k) bad();
    size_t cs = k2;
    while (size_t l = match_qf(markup, k2)) k2 += l;
    if (k2 == cs) bad();
    std::string_view coll = markup.substr(cs, k2 - cs);
    n.collection = markup_expression(coll);
    n.name = n.var + "-" + std::string(coll);
    size_t r = k2;
    while (r < markup.size() && is_space(markup[r])) ++r;
    n.reversed = markup.substr(r, 8) == "reversed";
    for (auto& [key, value] : scan_attributes(markup)) {
      if (key == "offset") {
        if (value == "continue") {
          n.offset_continue = true;
        } else {
          n.offset = markup_expression(value);
          n.offset_continue = false;
        }
      } else if (key == "limit") {
        n.limit = markup_expression(value);
      }
    }
  }

  // (VariableSignature+): \(?[\w\-\.\[\]]\)? repeated; returns the first match in s, or
  // npos. With `need_eq` the match must be followed by \s*= (assign).
  static bool match_signature(std::string_view s, bool need_eq, size_t& start, size_t& end, size_t& after) {
    auto sig_char = [](char ch) { return is_word(ch) || ch == '-' || ch == '.' || ch == '[' || ch == ']'; };
    for (size_t p = 0; p < s.size(); ++p) {
      size_t i = p;
      size_t units = 0;
      while (i < s.size()) {
        size_t j = i;
        if (s[j] == '(') ++j;
        if (j < s.size() && sig_char(s[j])) {
          ++j;
          if (j < s.size() && s[j] == ')') ++j;
          i = j;
          ++units;
        } else {
          break;
        }
      }
      if (!units) continue;
      if (!need_eq) {
        start = p;
        end = i;
        after = i;
        return true;
      }
      size_t k = i;
      while (k < s.size() && is_space(s[k])) ++k;
      if (k < s.size() && s[k] == '=') {
        start = p;
        end = i;
        ++k;
        while (k < s.size() && is_space(s[k])) ++k;
        after = k;
        return true;
      }
    }
    return false;
  }

  NodePtr parse_assign(std::string_view markup, const Tok* t) {
    size_t s, e, after;
    if (!match_signature(markup, true, s, e, after)) {
      error("Syntax Error in 'assign' - Valid syntax: assign [var] = [source]");
    }
    auto n = make<AssignNode>(t);
    n->to = std::string(markup.substr(s, e - s));
    n->from = parse_variable(markup.substr(after));
    return n;
  }

  NodePtr parse_capture(std::string_view markup, const Tok* t, Cursor& c) {
    size_t s, e, after;
    if (!match_signature(markup, false, s, e, after)) {
      error("Syntax Error in 'capture' - Valid syntax: capture [var]");
    }
    auto n = make<CaptureNode>(t);
    n->to = std::string(markup.substr(s, e - s));
    Stop st = parse_block_body(c, n->body, "capture", t);
    if (st.name != "endcapture") unknown_tag(st, "capture", "endcapture");
    return n;
  }

  NodePtr parse_case(std::string_view markup, const Tok* t, Cursor& c) {
    auto n = make<CaseNode>(t);
    size_t st, len;
    if (!search_qf(markup, 0, st, len)) error("Syntax Error in tag 'case' - Valid syntax: case [condition]");
    n->left = markup_expression(markup.substr(st, len));
    n->bodies.emplace_back();  // text before the first when: parsed, never rendered
    for (;;) {
      Stop s = parse_block_body(c, n->bodies.back(), "case", t);
      n->blank_ = n->blank_ && n->bodies.back().blank;
      if (s.name == "endcase") break;
      cur_ = s.tok;
      if (s.name == "when") {
        n->bodies.emplace_back();
        size_t body = n->bodies.size() - 1;
        positioned([&] {
          parse_when(s.markup, body, *n);
          return 0;
        });
        continue;
      }
      if (s.name == "else") {
        if (!trim(s.markup).empty()) error("Syntax Error in tag 'case' - Valid else condition: {% else %} (no parameters) ");
        n->bodies.emplace_back();
        CaseNode::Block b;
        b.is_else = true;
        b.body = n->bodies.size() - 1;
        n->blocks.push_back(std::move(b));
        continue;
      }
      unknown_tag(s, "case", "endcase");
    }
    if (n->blank_) {
      for (auto& b : n->bodies) b.remove_blank_strings();
    }
    return n;
  }

  void parse_when(std::string_view markup, size_t body, CaseNode& n) {
    // WhenSyntax: (QF)(?:(?:\s+or\s+|\s*,\s*)(QF.*))?
    std::string_view m = markup;
    bool any = false;
    while (true) {
      size_t st, len;
      if (!search_qf(m, 0, st, len)) {
        if (!any) error("Syntax Error in tag 'case' - Valid when condition: {% when [condition] [or condition2...] %}");
        break;
      }
      any = true;
      CaseNode::Block b;
      b.value = markup_expression(m.substr(st, len), true);
      b.body = body;
      n.blocks.push_back(std::move(b));
      size_t k = st + len;
      size_t k0 = k;
      while (k < m.size() && is_space(m[k])) ++k;
      bool sep = false;
      if (k < m.size() && m[k] == ',') {
        ++k;
        sep = true;
      } else if (k > k0 && m.substr(k, 2) == "or" && k + 2 < m.size() && is_space(m[k + 2])) {
        k += 2;
        sep = true;
      }
      if (!sep) break;
      while (k < m.size() && is_space(m[k])) ++k;
      if (!match_qf(m, k)) break;
      m = m.substr(k);
    }
  }

  NodePtr parse_comment(const Tok* t, Cursor& c) {
    int level = 1;
    while (const Tok* tok = c.next()) {
      std::string_view name, markup;
      if (c.liquid) {
        if (tok->text.empty() || whitespace_only(tok->text)) continue;
        if (!match_line_token(tok->text, name, markup)) continue;
      } else {
        if (tok->t != Tok::T::Tag || !match_full_token(tok->text, name, markup)) continue;
      }
      if (name == "raw") {
        skip_raw(c, t);
      } else if (name == "comment") {
        ++level;
      } else if (name == "endcomment") {
        if (--level == 0) {
          if (!c.liquid) trim_ws_ = tok->text.size() >= 3 && tok->text[tok->text.size() - 3] == '-';
          return make<CommentNode>(t);
        }
      }
    }
    cur_ = t;
    error("'comment' tag was never closed");
  }

  void skip_raw(Cursor& c, const Tok* open) {
    while (const Tok* tok = c.next()) {
      std::string_view before, name;
      if (match_possibly_invalid(tok->text, before, name) && name == "endraw") return;
    }
    cur_ = open;
    error("'raw' tag was never closed");
  }

  NodePtr parse_raw(std::string_view markup, const Tok* t, Cursor& c) {
    if (!whitespace_only(markup)) error("Syntax Error in 'raw' - Valid syntax: raw");
    auto n = make<RawNode>(t);
    while (const Tok* tok = c.next()) {
      std::string_view before, name;
      if (tok->t != Tok::T::Text && match_possibly_invalid(tok->text, before, name) && name == "endraw") {
        trim_ws_ = tok->text.size() >= 3 && tok->text[tok->text.size() - 3] == '-';
        n->text += before;
        return n;
      }
      n->text += tok->text;
      if (c.liquid) n->text += '\n';
    }
    cur_ = t;
    error("'raw' tag was never closed");
  }

  NodePtr parse_doc(std::string_view markup, const Tok* t, Cursor& c) {
    if (!whitespace_only(markup)) error("Syntax Error in 'doc' - Valid syntax: doc (no arguments)");
    while (const Tok* tok = c.next()) {
      std::string_view before, name;
      bool m = tok->t != Tok::T::Text && match_possibly_invalid(tok->text, before, name);
      if (m && name == "doc") {
        cur_ = tok;
        error("Syntax Error in 'doc' - Nested doc tags are not allowed");
      }
      if (m && name == "enddoc") {
        trim_ws_ = tok->text.size() >= 3 && tok->text[tok->text.size() - 3] == '-';
        return make<CommentNode>(t);
      }
    }
    cur_ = t;
    error("'doc' tag was never closed");
  }

  NodePtr parse_cycle(std::string_view markup, const Tok* t) {
    auto n = make<CycleNode>(t);
    // NamedSyntax: \A(QF)\s*:\s*(.*)  SimpleSyntax: \A(QF)+
    size_t l = match_qf(markup, 0);
    if (!l) error("Syntax Error in 'cycle' - Valid syntax: cycle [name :] var [, var2, var3 ...]");
    std::string_view values = markup;
    size_t k = l;
    while (k < markup.size() && is_space(markup[k])) ++k;
    bool named = false;
    if (k < markup.size() && markup[k] == ':') {
      named = true;
      n->group = markup_expression(markup.substr(0, l));
      values = markup.substr(k + 1);
    } else {
      // A QuotedFragment may swallow "name:" when there is no space ("a:1"); Ruby's regex
      // backtracks there. Look for the colon inside the fragment outside quotes.
      std::string_view frag = markup.substr(0, l);
      size_t colon = std::string_view::npos;
      for (size_t q = 0; q < frag.size(); ++q) {
        if (frag[q] == '"' || frag[q] == '\'') {
          size_t close = frag.find(frag[q], q + 1);
          if (close == std::string_view::npos) break;
          q = close;
          continue;
        }
        if (frag[q] == ':') {
          colon = q;
          break;
        }
      }
      if (colon != std::string_view::npos && colon > 0) {
        named = true;
        n->group = markup_expression(frag.substr(0, colon));
        values = markup.substr(colon + 1);
      }
    }
    // variables_from_string: split on ',' and take the first QuotedFragment of each piece.
    std::string key = "[";
    bool all_literal = true;
    size_t start = 0;
    while (start <= values.size()) {
      size_t comma = values.find(',', start);
      std::string_view piece = values.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      size_t st, len;
      if (search_qf(piece, 0, st, len)) {
        ExprPtr e = markup_expression(piece.substr(st, len));
        if (e->t == Expr::T::Literal) {
          if (n->values.size()) key += ", ";
          key += inspect(e->literal);
        } else {
          all_literal = false;
        }
        n->values.push_back(std::move(e));
      }
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    key += "]";
    if (!named) {
      // Ruby keys unnamed cycles by the inspect of their values; values that are variables
      // inspect to a unique object id, so such cycles never share state.
      if (all_literal) {
        n->key = key;
      } else {
        n->key = "#<cycle@" + std::to_string(t->line) + ":" + std::to_string(t->column) + ":" +
                 std::to_string(reinterpret_cast<uintptr_t>(n.get())) + ">";
      }
    }
    return n;
  }

  NodePtr parse_tablerow(std::string_view markup, const Tok* t, Cursor& c) {
    auto n = make<TableRowNode>(t);
    // (\w+)\s+in\s+(QuotedFragment+) and TagAttributes.
    bool ok = false;
    for (size_t p = 0; p < markup.size() && !ok; ++p) {
      if (!is_word(markup[p]) || (p > 0 && is_word(markup[p - 1]))) continue;
      size_t i = p;
      while (i < markup.size() && is_word(markup[i])) ++i;
      size_t k = i;
      while (k < markup.size() && is_space(markup[k])) ++k;
      if (k == i || markup.substr(k, 2) != "in") continue;
      k += 2;
      size_t k2 = k;
      while (k2 < markup.size() && is_space(markup[k2])) ++k2;
      if (k2 == k) continue;
      size_t cs = k2;
      while (size_t l = match_qf(markup, k2)) k2 += l;
      if (k2 == cs) continue;
      n->var = std::string(markup.substr(p, i - p));
      n->collection = markup_expression(markup.substr(cs, k2 - cs));
      ok = true;
    }
    if (!ok) error("Syntax Error in 'table_row loop' - Valid syntax: table_row [item] in [collection] cols=3");
    for (auto& [key, value] : scan_attributes(markup)) {
      if (key == "cols") n->cols = markup_expression(value);
      else if (key == "limit") n->limit = markup_expression(value);
      else if (key == "offset") n->offset = markup_expression(value);
    }
    Stop s = parse_block_body(c, n->body, "tablerow", t);
    if (s.name != "endtablerow") unknown_tag(s, "tablerow", "endtablerow");
    n->blank_ = n->body.blank;
    return n;
  }

  NodePtr parse_partial(bool is_render, std::string_view markup, const Tok* t) {
    auto n = make<PartialNode>(t);
    n->is_render = is_render;
    const char* tag = is_render ? "render" : "include";
    auto bad = [&]() {
      error(std::string("Syntax Error in '") + tag + "' - Valid syntax: " + tag + " '[template]' (with|for) [object|collection]");
    };
    // (QF+) or, for render, (QuotedString+)
    size_t st = 0, end = 0;
    bool found = false;
    for (size_t p = 0; p < markup.size() && !found; ++p) {
      if (is_render) {
        if (markup[p] != '"' && markup[p] != '\'') continue;
        size_t close = markup.find(markup[p], p + 1);
        if (close == std::string_view::npos) continue;
        st = p;
        end = close + 1;
        while (end < markup.size() && (markup[end] == '"' || markup[end] == '\'')) {
          size_t c2 = markup.find(markup[end], end + 1);
          if (c2 == std::string_view::npos) break;
          end = c2 + 1;
        }
        found = true;
      } else {
        size_t l = match_qf(markup, p);
        if (!l) continue;
        st = p;
        end = p + l;
        while (size_t l2 = match_qf(markup, end)) end += l2;
        found = true;
      }
    }
    if (!found) bad();
    n->name_expr = markup_expression(markup.substr(st, end - st));
    if (is_render && !(n->name_expr->t == Expr::T::Literal && n->name_expr->literal.kind == Kind::Str)) bad();
    // (\s+(with|for)\s+(QF+))?(\s+as\s+([\w-]+))?
    size_t k = end;
    size_t k0 = k;
    while (k < markup.size() && is_space(markup[k])) ++k;
    auto word_at = [&](size_t pos, std::string_view w) {
      return markup.substr(pos, w.size()) == w && pos + w.size() < markup.size() && is_space(markup[pos + w.size()]);
    };
    if (k > k0 && (word_at(k, "with") || word_at(k, "for"))) {
      bool is_for = word_at(k, "for");
      size_t v = k + (is_for ? 3 : 4);
      while (v < markup.size() && is_space(markup[v])) ++v;
      size_t vs = v;
      while (size_t l = match_qf(markup, v)) v += l;
      if (v > vs) {
        std::string_view var = markup.substr(vs, v - vs);
        // "with: x" is a keyword argument, not a binding.
        n->is_for = is_for;
        n->var_expr = markup_expression(var);
        k = v;
        k0 = k;
        while (k < markup.size() && is_space(markup[k])) ++k;
      }
    }
    if (k > k0 && word_at(k, "as")) {
      size_t a = k + 2;
      while (a < markup.size() && is_space(markup[a])) ++a;
      size_t as = a;
      while (a < markup.size() && (is_word(markup[a]) || markup[a] == '-')) ++a;
      if (a > as) n->alias = std::string(markup.substr(as, a - as));
    }
    for (auto& [key, value] : scan_attributes(markup)) {
      n->attributes.emplace_back(std::string(key), markup_expression(value));
    }
    return n;
  }
};

}  // namespace

void Body::remove_blank_strings() {
  nodes.erase(std::remove_if(nodes.begin(), nodes.end(), [](const NodePtr& n) { return n->is_text(); }), nodes.end());
}

std::shared_ptr<Document> parse_document(std::string_view source, const Options& options) {
  if (source.size() > options.limits.max_source_bytes) {
    fail("template is too large (" + std::to_string(source.size()) + " bytes, limit " +
         std::to_string(options.limits.max_source_bytes) + ")");
  }
  auto doc = std::make_shared<Document>();
  doc->mode = options.mode;
  Parser parser(options);
  parser.parse_document(source, *doc);
  return doc;
}

}  // namespace shopflow::liquid::detail
