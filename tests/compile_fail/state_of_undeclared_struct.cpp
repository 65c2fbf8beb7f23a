// State of a class Ember cannot see into: it may hold views into a batch's buffers, and state
// is kept from batch to batch, so it must be declared (EMBER_STRUCT or EMBER_OWNING).
// expect-error: ember: this key or value is kept from batch to batch
#include <ember/ember.hpp>

struct Visits {
  long count = 0;
  std::string_view last_page;
};

void build(ember::DStream<std::pair<std::string, std::string_view>> views) {
  views
      .updateStateByKey<Visits>(
          [](const std::vector<std::string_view>& pages, std::optional<Visits> state) {
            Visits v = state.value_or(Visits{});
            v.count += static_cast<long>(pages.size());
            if (!pages.empty()) v.last_page = pages.back();
            return std::optional<Visits>(v);
          })
      .count()
      .print();
}
