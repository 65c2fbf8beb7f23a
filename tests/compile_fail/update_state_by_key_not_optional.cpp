// An updateStateByKey function returning the state itself instead of `std::optional<S>`.
// expect-error: updateStateByKey on a DStream<std::pair<K, V>> expects
#include <ember/ember.hpp>

void build(ember::DStream<std::pair<std::string, int>> pairs) {
  pairs
      .updateStateByKey([](const std::vector<int>& values, std::optional<int> count) {
        return count.value_or(0) + static_cast<int>(values.size());
      })
      .print();
}
