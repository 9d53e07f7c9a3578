module example.com/instances-not-types

go 1.21
