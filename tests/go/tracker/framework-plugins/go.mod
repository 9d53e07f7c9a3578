module example.com/framework-plugins

go 1.21
