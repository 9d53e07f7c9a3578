module example.com/handler-factory

go 1.21
