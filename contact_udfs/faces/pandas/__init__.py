"""faces/pandas"""
