module example.com/scale-subresource

go 1.21
