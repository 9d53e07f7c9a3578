module example.com/dynamic-informers

go 1.21
