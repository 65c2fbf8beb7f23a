// A mapWithState function taking `std::string` keys on a stream of `std::string_view` words.
// expect-error: mapWithState on a DStream<std::pair<K, V>>: the StateSpec function must be
#include <ember/ember.hpp>

void build(ember::DStream<std::pair<std::string_view, int>> pairs) {
  auto spec = ember::StateSpec::function(
      [](const std::string& word, std::optional<int> one, ember::State<int>& state) {
        int sum = one.value_or(0) + state.getOption().value_or(0);
        state.update(sum);
        return sum;
      });
  pairs.mapWithState(spec).print();
}
