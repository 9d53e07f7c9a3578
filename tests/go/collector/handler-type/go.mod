module example.com/handler-type

go 1.21
