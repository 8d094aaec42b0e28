-- wrk script: each request alternates between a manifest GET and a blob GET of the same image.
local i = 0
request = function()
    i = i + 1
    if i % 2 == 0 then
        return wrk.format("GET", manifest_path, {Accept = "application/vnd.oci.image.manifest.v1+json"})
    end
    return wrk.format("GET", blob_path)
end
init = function(args)
    manifest_path = args[1]
    blob_path = args[2]
end
