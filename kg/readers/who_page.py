"""placeholder"""
FORMAT = "who-page"
def detect(h, n): return False
