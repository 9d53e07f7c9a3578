module example.com/wrapper-literals

go 1.21
