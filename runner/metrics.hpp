// Prometheus metrics for `shopflow serve`: counters, gauges and histograms with labels,
// rendered in the text exposition format (version 0.0.4) at /metrics. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace shopflow::runner {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  // Declares a metric family once; `type` is "counter", "gauge" or "histogram".
  void declare(const std::string& name, const std::string& type, const std::string& help,
               std::vector<double> buckets = {});

  void add(const std::string& name, const Labels& labels, double amount = 1);   // counter
  void set(const std::string& name, const Labels& labels, double value);        // gauge
  void observe(const std::string& name, const Labels& labels, double value);    // histogram

  // Current value of a counter or gauge (0 when never touched), for tests and logs.
  double value(const std::string& name, const Labels& labels) const;

  std::string render() const;

 private:
  struct Series {
    double value = 0;
    std::vector<double> bucket_counts;  // histograms: cumulative counts per bucket
    double sum = 0;
    double count = 0;
  };
  struct Family {
    std::string type, help;
    std::vector<double> buckets;
    std::map<std::string, Series> series;  // key: rendered label set
  };
  static std::string label_key(const Labels& labels);
  Family& family(const std::string& name);

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
};

}  // namespace shopflow::runner
