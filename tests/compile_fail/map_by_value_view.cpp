// A map that takes a string BY VALUE and returns a view into it: the view dangles.
// expect-error: ember: this function takes its element BY VALUE and returns views
#include <ember/ember.hpp>

void build(ember::DStream<std::string> lines) {
  lines.map([](std::string line) { return std::string_view(line).substr(0, 1); }).print();
}
