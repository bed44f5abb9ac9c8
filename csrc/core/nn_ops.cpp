// Neural-network ops front end (convolution, pooling, softmax, losses).
