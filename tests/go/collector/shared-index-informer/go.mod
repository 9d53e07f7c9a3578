module example.com/shared-index-informer

go 1.21
