/**
 * The two examples of Nyckel's model-pinning guide (https://www.nyckel.com/docs/model-pinning;
 * the text is in the project's shared notes, nyckel-model-pinning-guide.txt), COPIED VERBATIM:
 * the guide file is not part of this repository, so tests cannot read it. The tests fill in
 * the placeholders (the host, <accessToken>, <functionId>, <modelId>) and run them unchanged
 * (lib/nyckel/guide-examples.test.ts against the emulator, e2e/api-guide-examples.spec.ts
 * against Modelpin's proxy).
 */

export const GUIDE_CURL = `curl -X POST \\
  -H 'Authorization: Bearer <accessToken>' \\
  -H 'Content-Type: application/json' \\
  -d '{"data":"@<fileName>"}' \\
  'https://www.nyckel.com/v1/functions/<functionId>/invoke?modelId=<modelId>'`;

export const GUIDE_FETCH = `fetch('https://www.nyckel.com/v1/functions/<functionId>/invoke?modelId=<modelId>', {
    method: 'POST',
    headers: {
        'Authorization': 'Bearer ' + '<accessToken>',
        'Content-Type': 'application/json',
    },
    body: JSON.stringify(
        {"data":"@<fileName>"}
    )
})
.then(response => response.json())
.then(data => console.log(data));`;
