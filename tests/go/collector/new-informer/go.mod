module example.com/new-informer

go 1.21
