// The CPU kernel sources (elementwise, reduce, gemm) are compiled once per ISA:
// AVX-512 (TG_ISA=avx512), AVX2/FMA (TG_ISA=avx2) and the portable baseline
// (TG_ISA=base).
// Each copy lives in its own namespace; cpu/dispatch.cpp picks one at run time.
// Every template or inline function these sources instantiate must be in that
// namespace too (or force-inlined, like the op functors): the linker keeps one
// copy of each same-named instantiation, whichever ISA it was compiled for.
// That includes error paths: throw through out-of-line baseline functions
// (tg::throw_dtype_error), not through tg::str_cat, whose instantiations in
// these sources were once shared AVX2 code that any ISA could have run.
#pragma once
#ifndef TG_ISA
#define TG_ISA base
#endif
