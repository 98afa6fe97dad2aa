module httpdgo

go 1.19
