import Foundation
import TestFolders
import Testing
@testable import LeNet
import Support

/// The end of a run never loses it: the model is always attempted, the resumable state goes only
/// after the model is on disk, and a periodic checkpoint's failure is reported after the model.
@Suite struct RunCompletionTests {
    struct DiskFull: Error {}

    func folder() throws -> String {
        let path = TestFolders.path("run")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func aFailedPeriodicCheckpointIsReportedAfterTheModelIsSaved() throws {
        let run = try folder()
        let model = run + "/model.safetensors", resume = run + "/resume.safetensors"
        try Files.writeAtomically([1, 2, 3], to: resume)
        #expect(performing: {
            try RunCompletion.finish(modelPath: model, saveModel: { try Files.writeAtomically([9], to: model) },
                                     resumeFile: resume, earlierFailure: DiskFull())
        }, throws: { error in
            // By the time the error arrives, the model is on disk and the resume file is gone.
            (error as? RunCompletion.CheckpointFailure)?.modelPath == model
                && FileManager.default.fileExists(atPath: model) && !FileManager.default.fileExists(atPath: resume)
        })
    }

    @Test func theResumeFileStaysWhenTheModelCannotBeSaved() throws {
        let run = try folder()
        let resume = run + "/resume.safetensors"
        try Files.writeAtomically([1, 2, 3], to: resume)
        #expect(throws: DiskFull.self) {
            try RunCompletion.finish(modelPath: run + "/model.safetensors", saveModel: { throw DiskFull() },
                                     resumeFile: resume, earlierFailure: nil)
        }
        #expect(try Files.read(resume) == [1, 2, 3])
    }

    @Test func aFolderInTheResumeFilesPlaceIsLeftAlone() throws {
        let run = try folder()
        let model = run + "/model.safetensors", resume = run + "/resume.safetensors"
        try FileManager.default.createDirectory(atPath: resume + "/inside", withIntermediateDirectories: true)
        let warning = try RunCompletion.finish(modelPath: model, saveModel: { try Files.writeAtomically([9], to: model) },
                                               resumeFile: resume, earlierFailure: nil)
        #expect(warning?.contains("is a folder") == true)
        #expect(FileManager.default.fileExists(atPath: resume + "/inside"))
        #expect(try Files.read(model) == [9])
    }

    @Test func aFinishedRunRemovesItsResumeFile() throws {
        let run = try folder()
        let model = run + "/model.safetensors", resume = run + "/resume.safetensors"
        try Files.writeAtomically([1], to: resume)
        #expect(try RunCompletion.finish(modelPath: model, saveModel: { try Files.writeAtomically([9], to: model) },
                                         resumeFile: resume, earlierFailure: nil) == nil)
        #expect(!FileManager.default.fileExists(atPath: resume))
    }
}
