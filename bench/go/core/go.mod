module ringo/bench/core

go 1.19
