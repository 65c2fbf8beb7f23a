// A mapWithState function whose value parameter is `int` instead of `std::optional<int>`.
// expect-error: StateSpec::function(f): f must be `M f(const K& key, std::optional<V> value
#include <ember/ember.hpp>

void build(ember::DStream<std::pair<std::string, int>> pairs) {
  auto spec =
      ember::StateSpec::function([](const std::string& key, int one, ember::State<int>& state) {
        state.update(one);
        return key;
      }).timeout(ember::Seconds(10));
  pairs.mapWithState(spec).print();
}
