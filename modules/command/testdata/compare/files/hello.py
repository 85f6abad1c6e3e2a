import sys
print("python", " ".join(sys.argv[1:]))
