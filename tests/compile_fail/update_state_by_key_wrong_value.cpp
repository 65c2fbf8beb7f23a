// An updateStateByKey function for string values on a stream of int values.
// expect-error: updateStateByKey on a DStream<std::pair<K, V>> expects
#include <ember/ember.hpp>

void build(ember::DStream<std::pair<std::string, int>> pairs) {
  pairs
      .updateStateByKey([](const std::vector<std::string>& values, std::optional<int> count) {
        return std::optional<int>(count.value_or(0) + static_cast<int>(values.size()));
      })
      .print();
}
