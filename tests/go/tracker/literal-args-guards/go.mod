module example.com/literal-args-guards

go 1.21
