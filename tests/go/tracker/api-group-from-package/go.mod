module example.com/api-group-from-package

go 1.21
