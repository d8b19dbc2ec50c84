// The one Catch2 main for every test file: the single header compiles once.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
