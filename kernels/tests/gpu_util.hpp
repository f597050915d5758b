#pragma once

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "onebit/port.hpp"

#define GPU_CHECK(call)                                                                              \
    do {                                                                                             \
        gpuError_t err_ = (call);                                                                    \
        if (err_ != gpuSuccess) {                                                                    \
            std::fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, gpuGetErrorString(err_)); \
            std::exit(2);                                                                            \
        }                                                                                            \
    } while (0)

namespace onebit::testing {

template <class T>
struct DeviceBuffer {
    T* ptr = nullptr;
    size_t count = 0;
    explicit DeviceBuffer(size_t n) : count(n) { GPU_CHECK(gpuMalloc(reinterpret_cast<void**>(&ptr), n * sizeof(T) + 16)); }
    DeviceBuffer(const DeviceBuffer&) = delete;
    ~DeviceBuffer() { (void)gpuFree(ptr); }  // a destructor cannot report it
    void upload(const std::vector<T>& v) { GPU_CHECK(gpuMemcpy(ptr, v.data(), v.size() * sizeof(T), gpuMemcpyHostToDevice)); }
    std::vector<T> download() const {
        std::vector<T> v(count);
        GPU_CHECK(gpuMemcpy(v.data(), ptr, count * sizeof(T), gpuMemcpyDeviceToHost));
        return v;
    }
};

}  // namespace onebit::testing
