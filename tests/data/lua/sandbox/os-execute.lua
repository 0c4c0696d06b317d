-- The sandbox has no os: this fails on line 2.
os.execute("touch /tmp/arca-sandbox-escaped")
