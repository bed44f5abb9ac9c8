// Convolution and pooling CPU kernels.
