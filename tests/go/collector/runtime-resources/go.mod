module example.com/runtime-resources

go 1.21
