"""NVRTC, CUDA's run-time compiler, through ctypes: CUDA C++ source to a cubin for one GPU architecture.

The elementwise fusion (_fusion.py) compiles its generated CUDA kernels here. NVRTC is found at $TG_NVRTC (a
path), then by the loader (libnvrtc.so.13, .so.12, libnvrtc.so), then in the nvidia-cuda-nvrtc wheel's folder on
sys.path (nvidia/cu13/lib, nvidia/cuda_nvrtc/lib). Without it `available()` is False and fused chains on a GPU run
interpreted (the eager kernels).

NVRTC has no C++ standard library: the #includes of <cmath>, <cstdint>, <cstring> and <type_traits> in the shared
functor headers (csrc/ops/elementwise.h, math.h) resolve to STD_HEADER, the little of each the functors use,
defined on NVRTC's built-in device math functions.
"""
import ctypes
import ctypes.util
import glob
import os
import sys
import threading

STD_HEADER = r"""// tinygrad_ext: the standard library the functor headers use, for NVRTC (no standard headers there)
#ifndef TG_RTC_STD  // (one text under four names: guarded, not #pragma once)
#define TG_RTC_STD
typedef signed char int8_t;
typedef short int16_t;
typedef int int32_t;
typedef long long int64_t;
typedef unsigned char uint8_t;
typedef unsigned short uint16_t;
typedef unsigned int uint32_t;
typedef unsigned long long uint64_t;
typedef unsigned long size_t;
#define INFINITY (__int_as_float(0x7f800000))
#define NAN (__int_as_float(0x7fffffff))
namespace std {
using ::int8_t; using ::int16_t; using ::int32_t; using ::int64_t;
using ::uint8_t; using ::uint16_t; using ::uint32_t; using ::uint64_t; using ::size_t;
using ::memcpy;
using ::abs; using ::fabs; using ::exp; using ::exp2; using ::expm1; using ::log; using ::log2; using ::log10;
using ::log1p; using ::sqrt; using ::pow; using ::sin; using ::cos; using ::tan; using ::asin; using ::acos;
using ::atan; using ::atan2; using ::sinh; using ::cosh; using ::tanh; using ::asinh; using ::acosh; using ::atanh;
using ::erf; using ::erfc; using ::tgamma; using ::lgamma; using ::floor; using ::ceil; using ::trunc; using ::round;
using ::nearbyint; using ::fmod; using ::copysign; using ::hypot; using ::nextafter; using ::fma; using ::fmax;
using ::fmin; using ::frexp; using ::ldexp; using ::isnan; using ::isinf; using ::isfinite; using ::signbit;

template <class T, T v> struct integral_constant {
  static constexpr T value = v;
};
using true_type = integral_constant<bool, true>;
using false_type = integral_constant<bool, false>;
template <class A, class B> struct is_same : false_type {};
template <class A> struct is_same<A, A> : true_type {};
template <class A, class B> constexpr bool is_same_v = is_same<A, B>::value;
template <class T> struct remove_cv { using type = T; };
template <class T> struct remove_cv<const T> { using type = T; };
template <class T> struct remove_cv<volatile T> { using type = T; };
template <class T> struct remove_cv<const volatile T> { using type = T; };
template <class T> struct is_floating_point_ : false_type {};
template <> struct is_floating_point_<float> : true_type {};
template <> struct is_floating_point_<double> : true_type {};
template <class T> constexpr bool is_floating_point_v = is_floating_point_<typename remove_cv<T>::type>::value;
template <class T> struct is_integral_ : false_type {};
template <> struct is_integral_<bool> : true_type {};
template <> struct is_integral_<char> : true_type {};
template <> struct is_integral_<signed char> : true_type {};
template <> struct is_integral_<unsigned char> : true_type {};
template <> struct is_integral_<short> : true_type {};
template <> struct is_integral_<unsigned short> : true_type {};
template <> struct is_integral_<int> : true_type {};
template <> struct is_integral_<unsigned int> : true_type {};
template <> struct is_integral_<long> : true_type {};
template <> struct is_integral_<unsigned long> : true_type {};
template <> struct is_integral_<long long> : true_type {};
template <> struct is_integral_<unsigned long long> : true_type {};
template <class T> constexpr bool is_integral_v = is_integral_<typename remove_cv<T>::type>::value;
template <class T> constexpr bool is_signed_v = (is_integral_v<T> || is_floating_point_v<T>) && T(-1) < T(0);
template <class T> constexpr bool is_unsigned_v = is_integral_v<T> && T(0) < T(-1);
template <class T> struct make_unsigned { using type = T; };
template <> struct make_unsigned<signed char> { using type = unsigned char; };
template <> struct make_unsigned<char> { using type = unsigned char; };
template <> struct make_unsigned<short> { using type = unsigned short; };
template <> struct make_unsigned<int> { using type = unsigned int; };
template <> struct make_unsigned<long> { using type = unsigned long; };
template <> struct make_unsigned<long long> { using type = unsigned long long; };
template <class T> using make_unsigned_t = typename make_unsigned<T>::type;
template <bool B, class T = void> struct enable_if {};
template <class T> struct enable_if<true, T> { using type = T; };
template <bool B, class T = void> using enable_if_t = typename enable_if<B, T>::type;
template <class...> using void_t = void;
}  // namespace std
#endif
"""
STD_NAMES = ("cmath", "cstdint", "cstring", "type_traits")
# The eager kernels' floating-point settings (nvcc's defaults, which CMakeLists.txt keeps): no flush to zero, IEEE
# division and square root, multiply-adds contracted within an op. (-default-device: math.h's CPU-only helpers
# compile as device functions, unused.)
OPTIONS = ("-std=c++17", "-default-device", "-DNDEBUG", "--ftz=false", "--prec-div=true", "--prec-sqrt=true",
           "--fmad=true")

_lock = threading.Lock()
_lib = []  # [the loaded library, or None]


def _candidates():
    if os.environ.get("TG_NVRTC"):
        yield os.environ["TG_NVRTC"]
    for name in ("libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so", ctypes.util.find_library("nvrtc")):
        if name:
            yield name
    for root in sys.path:
        for sub in ("nvidia/cu13/lib/libnvrtc.so.*", "nvidia/cuda_nvrtc/lib/libnvrtc.so.*"):
            yield from sorted(glob.glob(os.path.join(root or ".", sub)))


def library():
    """The loaded NVRTC library, or None."""
    with _lock:
        if not _lib:
            found = None
            for path in _candidates():
                try:
                    found = ctypes.CDLL(path)
                    found.nvrtcCompileProgram  # noqa: B018  (an NVRTC, not some other library of that name)
                    break
                except (OSError, AttributeError):
                    found = None
            if found is not None:
                found.nvrtcGetErrorString.restype = ctypes.c_char_p
            _lib.append(found)
        return _lib[0]


def available():
    return library() is not None


def version():
    """(major, minor) of the NVRTC found; None without one."""
    lib = library()
    if lib is None:
        return None
    major, minor = ctypes.c_int(), ctypes.c_int()
    lib.nvrtcVersion(ctypes.byref(major), ctypes.byref(minor))
    return major.value, minor.value


class CompileError(RuntimeError):
    pass


def compile_cubin(source, headers, arch):
    """The cubin of `source` for `arch` (e.g. "sm_90"). `headers`: {include name: text} the source may #include
    (the standard names map to STD_HEADER). Raises CompileError with NVRTC's log when the source does not compile."""
    lib = library()
    if lib is None:
        raise CompileError("NVRTC (libnvrtc) was not found; set TG_NVRTC to its path")
    names = [*headers, *STD_NAMES]
    texts = [*headers.values(), *(STD_HEADER,) * len(STD_NAMES)]
    prog = ctypes.c_void_p()
    _check(lib, lib.nvrtcCreateProgram(ctypes.byref(prog), source.encode(), b"tg_fused.cu", len(names),
                                       (ctypes.c_char_p * len(names))(*[t.encode() for t in texts]),
                                       (ctypes.c_char_p * len(names))(*[n.encode() for n in names])))
    try:
        opts = [f"--gpu-architecture={arch}", *OPTIONS]
        status = lib.nvrtcCompileProgram(prog, len(opts), (ctypes.c_char_p * len(opts))(*[o.encode() for o in opts]))
        if status != 0:
            size = ctypes.c_size_t()
            lib.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
            log = ctypes.create_string_buffer(size.value)
            lib.nvrtcGetProgramLog(prog, log)
            raise CompileError(f"NVRTC failed to compile the fused kernel for {arch}:\n"
                               f"{log.value.decode(errors='replace')[-3000:]}")
        size = ctypes.c_size_t()
        _check(lib, lib.nvrtcGetCUBINSize(prog, ctypes.byref(size)))
        cubin = ctypes.create_string_buffer(size.value)
        _check(lib, lib.nvrtcGetCUBIN(prog, cubin))
        return cubin.raw
    finally:
        lib.nvrtcDestroyProgram(ctypes.byref(prog))


def _check(lib, status):
    if status != 0:
        raise CompileError(f"NVRTC: {lib.nvrtcGetErrorString(status).decode()}")
