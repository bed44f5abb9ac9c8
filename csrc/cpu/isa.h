// The CPU kernel sources (elementwise, reduce, gemm) are compiled twice: once
// with AVX2/FMA (TG_ISA=avx2) and once for the portable baseline (TG_ISA=base).
// Each copy lives in its own namespace; cpu/dispatch.cpp picks one at run time.
// Every template or inline function these sources instantiate must be in that
// namespace too (or force-inlined, like the op functors): the linker keeps one
// copy of each same-named instantiation, whichever ISA it was compiled for.
#pragma once
#ifndef TG_ISA
#define TG_ISA base
#endif
