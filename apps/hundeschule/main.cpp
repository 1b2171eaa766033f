// hundeschule: the binary. Everything it wires and runs lives in the composition root
// (src/composition/), which the benchmarks and test fixtures reuse.
#include "composition/commands.hpp"

int main(int argc, char** argv) {
  return hs::composition::Main(argc, argv);
}
