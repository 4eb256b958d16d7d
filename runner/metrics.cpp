#include "metrics.hpp"

#include <cmath>
#include <cstdio>

namespace shopflow::runner {

namespace {

std::string escape_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.9g", v);
  }
  return buf;
}

// Joins a rendered label key with one more label ("le" for buckets).
std::string with_label(const std::string& key, const std::string& name, const std::string& value) {
  std::string extra = name + "=\"" + value + "\"";
  return key.empty() ? "{" + extra + "}" : key.substr(0, key.size() - 1) + "," + extra + "}";
}

}  // namespace

std::string Metrics::label_key(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ",";
    out += labels[i].first + "=\"" + escape_label(labels[i].second) + "\"";
  }
  return out + "}";
}

void Metrics::declare(const std::string& name, const std::string& type, const std::string& help,
                      std::vector<double> buckets) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& f = families_[name];
  f.type = type;
  f.help = help;
  f.buckets = std::move(buckets);
}

Metrics::Family& Metrics::family(const std::string& name) { return families_[name]; }

void Metrics::add(const std::string& name, const Labels& labels, double amount) {
  std::lock_guard<std::mutex> lock(mu_);
  family(name).series[label_key(labels)].value += amount;
}

void Metrics::set(const std::string& name, const Labels& labels, double value) {
  std::lock_guard<std::mutex> lock(mu_);
  family(name).series[label_key(labels)].value = value;
}

void Metrics::observe(const std::string& name, const Labels& labels, double value) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& f = family(name);
  auto& s = f.series[label_key(labels)];
  if (s.bucket_counts.size() != f.buckets.size()) s.bucket_counts.assign(f.buckets.size(), 0);
  for (size_t i = 0; i < f.buckets.size(); ++i) {
    if (value <= f.buckets[i]) s.bucket_counts[i] += 1;
  }
  s.sum += value;
  s.count += 1;
}

double Metrics::value(const std::string& name, const Labels& labels) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto f = families_.find(name);
  if (f == families_.end()) return 0;
  auto s = f->second.series.find(label_key(labels));
  return s == f->second.series.end() ? 0 : s->second.value;
}

std::string Metrics::render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    out += "# HELP " + name + " " + f.help + "\n";
    out += "# TYPE " + name + " " + f.type + "\n";
    for (const auto& [key, s] : f.series) {
      if (f.type == "histogram") {
        for (size_t i = 0; i < f.buckets.size(); ++i) {
          double c = i < s.bucket_counts.size() ? s.bucket_counts[i] : 0;
          out += name + "_bucket" + with_label(key, "le", number(f.buckets[i])) + " " + number(c) + "\n";
        }
        out += name + "_bucket" + with_label(key, "le", "+Inf") + " " + number(s.count) + "\n";
        out += name + "_sum" + key + " " + number(s.sum) + "\n";
        out += name + "_count" + key + " " + number(s.count) + "\n";
      } else {
        out += name + key + " " + number(s.value) + "\n";
      }
    }
  }
  return out;
}

}  // namespace shopflow::runner
