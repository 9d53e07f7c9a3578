module example.com/typed-client-variable

go 1.21
