module example.com/informer-sources

go 1.21
