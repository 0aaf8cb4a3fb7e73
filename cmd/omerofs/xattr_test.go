package main

import "syscall"

func syscallGetxattr(path, name string, buf []byte) (int, error) { return syscall.Getxattr(path, name, buf) }
