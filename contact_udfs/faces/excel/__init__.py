"""faces/excel"""
