module example.com/handler-variable

go 1.21
